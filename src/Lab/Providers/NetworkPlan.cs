using System.Net;

namespace K3sLab.Lab.Providers;

/// <summary>
/// The addresses of one cluster network: a /24 with the gateway at .1, the load balancer at .2, the external
/// datastore's nodes (etcd members or PostgreSQL) from .3 to .9, servers from .10 and agents from .100. Addresses are static and derived from role and index, so a node restarted, recreated or
/// moved keeps its address (k3d#550: a changed address breaks embedded-etcd membership).
/// </summary>
public sealed record NetworkPlan(IPNetwork Subnet)
{
    public const int MaxServers = 50;
    public const int MaxAgents = 150;
    public const int MaxDatastoreNodes = 7;

    public IPAddress Gateway => Host(1);

    public IPAddress AddressOf(NodeRole role, int index) => role switch
    {
        NodeRole.LoadBalancer => Host(2),
        NodeRole.Server when index is >= 0 and < MaxServers => Host(10 + index),
        NodeRole.Agent when index is >= 0 and < MaxAgents => Host(100 + index),
        NodeRole.Etcd or NodeRole.Postgres or NodeRole.EtcdServer when index is >= 0 and < MaxDatastoreNodes => Host(3 + index),
        _ => throw new LabSetupException($"A cluster has room for {MaxServers} servers, {MaxAgents} agents and {MaxDatastoreNodes} datastore nodes; {LabNaming.RoleWord(role)} {index} is out of range."),
    };

    /// <summary>
    /// An address of <paramref name="role"/>'s range that none of <paramref name="inUse"/> holds, taken from the top
    /// of the range down, so the next nodes added (which count up from the bottom) do not meet it soon: where a node
    /// moved by <c>change-ip</c> goes.
    /// </summary>
    public IPAddress SpareAddress(NodeRole role, IEnumerable<IPAddress> inUse)
    {
        var max = role switch
        {
            NodeRole.Server => MaxServers,
            NodeRole.Agent => MaxAgents,
            _ => throw new LabSetupException($"only servers and agents move to another address, not {LabNaming.RoleWord(role)} nodes"),
        };
        var taken = inUse.ToHashSet();
        for (var index = max - 1; index >= 0; index--)
        {
            var address = AddressOf(role, index);
            if (!taken.Contains(address))
            {
                return address;
            }
        }

        throw new LabSetupException($"every {LabNaming.RoleWord(role)} address of {Subnet} is taken");
    }

    /// <summary>
    /// Picks the first 172.28.N.0/24 (N = 0..255) that overlaps none of the subnets already in use on this
    /// engine, or fails with the reason.
    /// </summary>
    public static NetworkPlan Choose(IEnumerable<IPNetwork> inUse)
    {
        var taken = inUse.ToList();
        for (var n = 0; n < 256; n++)
        {
            var candidate = new IPNetwork(new IPAddress([172, 28, (byte)n, 0]), 24);
            if (!taken.Any(t => Overlaps(t, candidate)))
            {
                return new NetworkPlan(candidate);
            }
        }

        throw new LabSetupException("Every 172.28.N.0/24 subnet is in use by another Docker network: remove unused networks (docker network prune) and retry.");
    }

    internal static bool Overlaps(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    private IPAddress Host(int host)
    {
        var bytes = Subnet.BaseAddress.GetAddressBytes();
        bytes[3] = (byte)host;
        return new IPAddress(bytes);
    }
}
