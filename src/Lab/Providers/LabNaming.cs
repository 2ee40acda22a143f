using System.Text.RegularExpressions;

namespace K3sLab.Lab.Providers;

/// <summary>
/// Names and labels every provider uses, so a cluster can be found again from Docker alone:
/// containers <c>k3slab-&lt;cluster&gt;-server-&lt;i&gt;</c>, <c>-agent-&lt;i&gt;</c>, <c>-lb</c>, the external datastore's
/// <c>-etcd-&lt;i&gt;</c> or <c>-postgres-0</c>, split topology's etcd-only servers <c>-etcd-server-&lt;i&gt;</c>,
/// network <c>k3slab-&lt;cluster&gt;</c>.
/// </summary>
public static partial class LabNaming
{
    public const string ClusterLabel = "k3slab.cluster";
    public const string RoleLabel = "k3slab.role";
    public const string IndexLabel = "k3slab.index";
    public const string AddressLabel = "k3slab.address";
    public const string FilesLabel = "k3slab.files";
    public const string DiskLabel = "k3slab.disk";

    /// <summary>The k3s data dir inside server, agent and etcd-only server nodes (k3s's default).</summary>
    public const string DataDir = "/var/lib/rancher/k3s";

    /// <summary>Cluster names are DNS labels short enough to fit in container and host names.</summary>
    public static void ValidateClusterName(string cluster)
    {
        if (!ClusterName().IsMatch(cluster))
        {
            throw new LabSetupException($"'{cluster}' is not a valid cluster name: use 1-32 lower-case letters, digits and '-', starting with a letter.");
        }
    }

    /// <summary>The port every server serves the API and supervisor on, and the load balancer listens on, inside the cluster network.</summary>
    public const int ApiPort = 6443;

    public static string NetworkName(string cluster) => $"k3slab-{cluster}";

    public static string NodeName(string cluster, NodeRole role, int index) => role switch
    {
        NodeRole.LoadBalancer => $"k3slab-{cluster}-lb",
        _ => $"k3slab-{cluster}-{RoleWord(role)}-{index}",
    };

    public static string RoleWord(NodeRole role) => role switch
    {
        NodeRole.Server => "server",
        NodeRole.Agent => "agent",
        NodeRole.Etcd => "etcd",
        NodeRole.Postgres => "postgres",
        NodeRole.EtcdServer => "etcd-server",
        _ => "lb",
    };

    public static NodeRole? ParseRole(string? word) => word switch
    {
        "server" => NodeRole.Server,
        "agent" => NodeRole.Agent,
        "lb" => NodeRole.LoadBalancer,
        "etcd" => NodeRole.Etcd,
        "postgres" => NodeRole.Postgres,
        "etcd-server" => NodeRole.EtcdServer,
        _ => null,
    };

    /// <summary>
    /// Whether the role runs k3s and registers a Node (a server or an agent), as opposed to the balancer or a datastore
    /// node (an etcd-only server runs k3s but no kubelet).
    /// </summary>
    public static bool IsK3sNode(NodeRole role) => role is NodeRole.Server or NodeRole.Agent;

    /// <summary>Whether the role is a node of a datastore outside the API servers (etcd member, PostgreSQL, etcd-only server).</summary>
    public static bool IsDatastore(NodeRole role) => role is NodeRole.Etcd or NodeRole.Postgres or NodeRole.EtcdServer;

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")]
    private static partial Regex ClusterName();
}
