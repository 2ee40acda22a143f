using System.Globalization;
using K3sLab.Lab.Datastores;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// Whether a cluster fits in the host's memory before anything is created. The budgets per node are the measured
/// idle figures (`perf/results/lab.md`: servers 54 MiB, agents 27 MiB, the balancer 16 MiB) with room for load and
/// pods; a fixed reserve is kept for the host itself.
/// </summary>
public static class ClusterMemory
{
    public const long Mebibyte = 1024 * 1024;
    public const long ServerBudget = 256 * Mebibyte;
    public const long AgentBudget = 64 * Mebibyte;
    public const long BalancerBudget = 32 * Mebibyte;
    public const long DatastoreBudget = 128 * Mebibyte;
    public const long HostReserve = 512 * Mebibyte;

    /// <summary>What <paramref name="spec"/>'s nodes are budgeted to need.</summary>
    public static long Needed(ClusterSpec spec) =>
        (spec.Servers * ServerBudget) + (spec.Agents * AgentBudget) + BalancerBudget + (DatastoreNodes(spec) * DatastoreBudget);

    /// <summary>A sentence saying why <paramref name="spec"/> does not fit in <paramref name="available"/> bytes, or null when it fits.</summary>
    public static string? Shortfall(ClusterSpec spec, long available)
    {
        var needed = Needed(spec) + HostReserve;
        if (needed <= available)
        {
            return null;
        }

        var datastore = DatastoreNodes(spec) > 0 ? string.Create(CultureInfo.InvariantCulture, $", {DatastoreBudget / Mebibyte} per datastore node") : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"{spec.Servers} server(s) and {spec.Agents} agent(s) need about {needed / Mebibyte} MiB ({ServerBudget / Mebibyte} MiB per server, {AgentBudget / Mebibyte} per agent, {BalancerBudget / Mebibyte} for the load balancer{datastore}, {HostReserve / Mebibyte} left to the host), but this host has {available / Mebibyte} MiB available (MemAvailable in /proc/meminfo): create fewer nodes or free memory.");
    }

    /// <summary>MemAvailable from <c>/proc/meminfo</c>, or null where there is none (not Linux).</summary>
    public static long? HostAvailable()
    {
        const string File = "/proc/meminfo";
        if (!System.IO.File.Exists(File))
        {
            return null;
        }

        var line = System.IO.File.ReadLines(File).FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: >= 2 } && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kib) ? kib * 1024 : null;
    }

    private static int DatastoreNodes(ClusterSpec spec) => spec.ResolvedDatastore switch
    {
        LabDatastore.Etcd or LabDatastore.Split => spec.EtcdMembers,
        LabDatastore.Postgres => 1,
        _ => 0,
    };
}
