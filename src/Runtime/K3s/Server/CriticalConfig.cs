using System.Text.Json.Nodes;

namespace K3sLab.K3s.Server;

/// <summary>
/// The server settings every server of a cluster must agree on (k3s's critical control arguments that this build
/// has flags for): a server joining with different values is refused with k3s's "critical configuration value
/// mismatch between servers". Served to nodes as <c>/v1-k3s/config</c>.
/// </summary>
internal sealed record CriticalConfig(string ClusterCidr, string ServiceCidr, string ClusterDns, string ClusterDomain)
{
    private static readonly (string Flag, string Field, Func<CriticalConfig, string> Get)[] Fields =
    [
        ("--cluster-cidr", "ClusterCIDR", c => c.ClusterCidr),
        ("--service-cidr", "ServiceCIDR", c => c.ServiceCidr),
        ("--cluster-dns", "ClusterDNS", c => c.ClusterDns),
        ("--cluster-domain", "ClusterDomain", c => c.ClusterDomain),
    ];

    public string ToJson()
    {
        var root = new JsonObject();
        foreach (var (_, field, get) in Fields)
        {
            root[field] = get(this);
        }

        return root.ToJsonString();
    }

    /// <summary>
    /// The differences between this server's values and the cluster's (from <c>/v1-k3s/config</c>), one phrase each
    /// (<c>--cluster-cidr is 10.44.0.0/16 here but 10.42.0.0/16 in the cluster</c>); a field the cluster's document
    /// lacks is not compared.
    /// </summary>
    public IReadOnlyList<string> Mismatches(JsonObject cluster)
    {
        var found = new List<string>();
        foreach (var (flag, field, get) in Fields)
        {
            if (cluster[field] is JsonValue value && value.TryGetValue<string>(out var theirs) && theirs != get(this))
            {
                found.Add($"{flag} is {get(this)} here but {theirs} in the cluster");
            }
        }

        return found;
    }
}
