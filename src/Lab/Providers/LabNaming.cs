using System.Text.RegularExpressions;

namespace K3sLab.Lab.Providers;

/// <summary>
/// Names and labels every provider uses, so a cluster can be found again from Docker alone:
/// containers <c>k3slab-&lt;cluster&gt;-server-&lt;i&gt;</c>, <c>-agent-&lt;i&gt;</c>, <c>-lb</c>, network <c>k3slab-&lt;cluster&gt;</c>.
/// </summary>
public static partial class LabNaming
{
    public const string ClusterLabel = "k3slab.cluster";
    public const string RoleLabel = "k3slab.role";
    public const string IndexLabel = "k3slab.index";
    public const string AddressLabel = "k3slab.address";

    /// <summary>Cluster names are DNS labels short enough to fit in container and host names.</summary>
    public static void ValidateClusterName(string cluster)
    {
        if (!ClusterName().IsMatch(cluster))
        {
            throw new LabSetupException($"'{cluster}' is not a valid cluster name: use 1-32 lower-case letters, digits and '-', starting with a letter.");
        }
    }

    public static string NetworkName(string cluster) => $"k3slab-{cluster}";

    public static string NodeName(string cluster, NodeRole role, int index) => role switch
    {
        NodeRole.Server => $"k3slab-{cluster}-server-{index}",
        NodeRole.Agent => $"k3slab-{cluster}-agent-{index}",
        _ => $"k3slab-{cluster}-lb",
    };

    public static string RoleWord(NodeRole role) => role switch
    {
        NodeRole.Server => "server",
        NodeRole.Agent => "agent",
        _ => "lb",
    };

    public static NodeRole? ParseRole(string? word) => word switch
    {
        "server" => NodeRole.Server,
        "agent" => NodeRole.Agent,
        "lb" => NodeRole.LoadBalancer,
        _ => null,
    };

    [GeneratedRegex("^[a-z][a-z0-9-]{0,31}$")]
    private static partial Regex ClusterName();
}
