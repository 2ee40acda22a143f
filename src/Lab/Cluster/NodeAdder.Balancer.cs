using System.Net;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Cluster;

/// <summary>Changing the servers behind a cluster's load balancer node.</summary>
public sealed partial class NodeAdder
{
    /// <summary>The file in the balancer node its server list is read from, and read again when it changes.</summary>
    public const string BalancerServersFile = "/var/lib/k3slab/servers";

    /// <summary>The balancer's own record of the list it is using (its <c>--state-file</c>), which shows when it took a new list.</summary>
    public const string BalancerStateFile = "/var/lib/k3slab/loadbalancer.json";

    /// <summary>
    /// Puts the balancer in front of <paramref name="servers"/> and waits until it uses the new list and the API
    /// answers through it. A balancer that reads a servers file is changed in place: the list is written beside the
    /// file and renamed over it, and the balancer's state file shows when it took the list, so the connections it
    /// carries stay open. One made before servers files existed is replaced by a new node with the same published port.
    /// </summary>
    internal async Task UpdateBalancerAsync(LabNode balancer, IReadOnlyList<IPAddress> servers, CancellationToken cancellationToken)
    {
        var lb = await provider.SpecOfAsync(balancer, cancellationToken);
        if (!lb.Command.Contains("--servers-file"))
        {
            await RecreateBalancerAsync(balancer, lb, servers, cancellationToken);
            return;
        }

        var addresses = servers.Select(s => $"{s}:{LabNaming.ApiPort}").ToList();
        var result = await provider.ExecAsync(balancer, ["sh", "-c", UpdateScript, "sh", BalancerServersFile, BalancerStateFile, StateList(addresses), .. addresses], cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new LabSetupException($"could not change the servers of {balancer.Name} (exit {result.ExitCode}): {(result.Stderr + result.Stdout).Trim()}");
        }

        var api = await ClusterAccess.ApiAsync(provider, balancer, cancellationToken);
        await ClusterCreator.WaitAsync(() => ClusterCreator.PingAsync(api, cancellationToken), cancellationToken);
        Log.BalancerUpdated(logger, balancer.Name, string.Join(' ', addresses));
    }

    /// <summary>
    /// The list as the balancer's state file writes it (sorted, JSON, no spaces), so the script can wait for it.
    /// </summary>
    internal static string StateList(IEnumerable<string> addresses) =>
        $"\"ServerAddresses\":[{string.Join(',', addresses.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(a => $"\"{a}\""))}]";

    /// <summary>
    /// Writes the addresses (<c>$4</c> on) into <c>$1.new</c>, renames it over <c>$1</c>, then waits up to 10 s
    /// for the state file <c>$2</c> to hold <c>$3</c>; exits 3 naming what the state file holds if it does not.
    /// </summary>
    private const string UpdateScript = """
        set -e
        file=$1 state=$2 want=$3
        shift 3
        mkdir -p "$(dirname "$file")"
        printf '%s\n' "$@" > "$file.new"
        mv -f "$file.new" "$file"
        i=0
        while [ $i -lt 100 ]; do
          grep -qF "$want" "$state" 2>/dev/null && exit 0
          sleep 0.1
          i=$((i + 1))
        done
        echo "the balancer did not take the new list within 10 s; its state file holds: $(cat "$state" 2>&1)" >&2
        exit 3
        """;

    private async Task RecreateBalancerAsync(LabNode balancer, NodeSpec lb, IReadOnlyList<IPAddress> servers, CancellationToken cancellationToken)
    {
        var api = await ClusterAccess.ApiAsync(provider, balancer, cancellationToken);
        await provider.RemoveAsync(balancer, cancellationToken);
        await provider.CreateNodeAsync(lb with { Command = ClusterCreator.LoadBalancerCommand(servers) }, cancellationToken);
        await ClusterCreator.WaitAsync(() => ClusterCreator.PingAsync(api, cancellationToken), cancellationToken);
        Log.BalancerRecreated(logger, balancer.Name, servers.Count);
    }
}
