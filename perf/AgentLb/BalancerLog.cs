using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace K3sLab.Perf.AgentLb;

/// <summary>
/// What the agent's balancer log says, in k3s's words: its server list (<c>server addresses -&gt; [...]</c>) and its
/// transitions (<c>Server a:6443@FROM-&gt;TO from cause</c>); and the wait-until loop both failover suites use.
/// </summary>
internal static partial class BalancerLog
{
    /// <summary>Whether the balancer's latest list names every server (port 6443).</summary>
    public static bool AllListed(string log, IEnumerable<IPAddress> servers) =>
        ListUpdate().Matches(log).LastOrDefault()?.Groups[1].Value is { } list && servers.All(s => list.Contains($"{s}:6443", StringComparison.Ordinal));

    /// <summary>The server (host:port) the balancer made ACTIVE last, or null.</summary>
    public static string? ActiveServer(string log) => ActiveTransition().Matches(log).LastOrDefault()?.Groups[1].Value;

    /// <summary>Whether the log shows the balancer taking <paramref name="server"/> back after a failure.</summary>
    public static bool TookBack(string log, IPAddress server) =>
        Regex.IsMatch(log, $@"Server {Regex.Escape($"{server}:6443")}@\w+->(RECOVERING|PREFERRED|HEALTHY|ACTIVE)");

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within, Func<string> failure, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > within)
            {
                throw new TimeoutException(failure());
            }

            await Task.Delay(100, ct);
        }
    }

    [GeneratedRegex(@"Server (\S+)@\w+->ACTIVE")]
    private static partial Regex ActiveTransition();

    [GeneratedRegex(@"server addresses -> \[([^\]]*)\]")]
    private static partial Regex ListUpdate();
}
