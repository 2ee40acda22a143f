using System.Globalization;
using System.Net;

namespace K3sLab.Scenarios.Faults;

/// <summary>
/// A network fault injected on one node with iptables: drop everything to and from some peers (a partition side),
/// drop only outgoing packets (one half of an asymmetric partition), or drop a random share of incoming packets.
/// Rules live in a chain of their own, <c>K3SLAB-FAULTS</c>, hooked into INPUT and OUTPUT, so healing is one flush
/// and never touches rules the node made itself.
/// </summary>
public abstract record NetworkFault
{
    /// <summary>The chain every fault rule goes in.</summary>
    public const string Chain = "K3SLAB-FAULTS";

    /// <summary>The shell script that applies this fault on the node (idempotent chain set-up included).</summary>
    public string ApplyScript() => string.Join(" && ", Setup().Concat(Rules()));

    /// <summary>The script that removes every fault rule on the node; safe to run when none is there.</summary>
    public static string HealScript() =>
        $"iptables -F {Chain} 2>/dev/null; iptables -D INPUT -j {Chain} 2>/dev/null; iptables -D OUTPUT -j {Chain} 2>/dev/null; iptables -X {Chain} 2>/dev/null; true";

    /// <summary>The iptables commands for this fault's rules.</summary>
    protected abstract IEnumerable<string> Rules();

    private static IEnumerable<string> Setup() =>
    [
        $"(iptables -N {Chain} 2>/dev/null || true)",
        $"(iptables -C INPUT -j {Chain} 2>/dev/null || iptables -I INPUT 1 -j {Chain})",
        $"(iptables -C OUTPUT -j {Chain} 2>/dev/null || iptables -I OUTPUT 1 -j {Chain})",
    ];
}

/// <summary>Cuts the node off from <paramref name="Peers"/> in both directions.</summary>
public sealed record Isolate(IReadOnlyList<IPAddress> Peers) : NetworkFault
{
    protected override IEnumerable<string> Rules() =>
        Peers.SelectMany(p => new[] { $"iptables -A {Chain} -s {p} -j DROP", $"iptables -A {Chain} -d {p} -j DROP" });
}

/// <summary>Drops the node's packets to <paramref name="Peers"/> only; their packets still arrive (asymmetric).</summary>
public sealed record DropOutgoing(IReadOnlyList<IPAddress> Peers) : NetworkFault
{
    protected override IEnumerable<string> Rules() => Peers.Select(p => $"iptables -A {Chain} -d {p} -j DROP");
}

/// <summary>Drops a random <paramref name="Probability"/> share (0 to 1) of the node's incoming packets.</summary>
public sealed record RandomLoss(double Probability) : NetworkFault
{
    protected override IEnumerable<string> Rules() =>
        Probability is > 0 and <= 1
            ? [string.Create(CultureInfo.InvariantCulture, $"iptables -A {Chain} -m statistic --mode random --probability {Probability:0.####} -j DROP")]
            : throw new ArgumentOutOfRangeException(nameof(Probability), Probability, "a loss probability is above 0 and at most 1");
}
