using K3sLab.K3s.Etcd;
using K3sLab.K3s.Server;

namespace K3sLab.K3s.Supervisor;

/// <summary>What the supervisor endpoints serve beyond files: the critical configuration and, when this server runs the embedded datastore, its members.</summary>
internal sealed record SupervisorSettings(CriticalConfig Config)
{
    /// <summary>The embedded datastore's members (etcd MemberList); null when the server does not run it.</summary>
    public Func<IReadOnlyList<ClusterMember>>? Members { get; init; }

    /// <summary>The API servers' <c>host:port</c> addresses (the <c>kubernetes</c> Endpoints), for <c>/v1-k3s/apiservers</c>.</summary>
    public Func<CancellationToken, Task<IReadOnlyList<string>>> ApiServers { get; init; } = _ => Task.FromResult<IReadOnlyList<string>>([]);
}
