using K3sLab.K3s.Etcd;
using K3sLab.K3s.Server;

namespace K3sLab.K3s.Supervisor;

/// <summary>What the supervisor endpoints serve beyond files: the critical configuration and, when this server runs the embedded datastore, its members.</summary>
internal sealed record SupervisorSettings(CriticalConfig Config)
{
    /// <summary>Whether the cluster runs without the service proxy (<c>--disable-kube-proxy</c>), published in <c>/v1-k3s/config</c> as k3s's <c>DisableKubeProxy</c> for agents.</summary>
    public bool DisableKubeProxy { get; init; }

    /// <summary>The <c>/v1-k3s/config</c> document: the critical configuration and what agents take from it.</summary>
    public string ConfigJson()
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(Config.ToJson())!.AsObject();
        root["DisableKubeProxy"] = DisableKubeProxy;
        return root.ToJsonString();
    }

    /// <summary>The embedded datastore's members (etcd MemberList); null when the server does not run it.</summary>
    public Func<IReadOnlyList<ClusterMember>>? Members { get; init; }

    /// <summary>The API servers' <c>host:port</c> addresses (the <c>kubernetes</c> Endpoints), for <c>/v1-k3s/apiservers</c>.</summary>
    public Func<CancellationToken, Task<IReadOnlyList<string>>> ApiServers { get; init; } = _ => Task.FromResult<IReadOnlyList<string>>([]);
}
