using System.Net;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Server;

/// <summary>Everything <c>k3s server</c> was told, after flags, environment and defaults are resolved.</summary>
internal sealed record ServerSettings(
    DataDir DataDir,
    string? Token,
    string? AgentToken,
    IPAddress BindAddress,
    int HttpsListenPort,
    IPAddress NodeIp,
    string? AdvertiseAddress,
    string NodeName,
    IReadOnlyList<string> TlsSans,
    string KubeconfigPath,
    UnixFileMode? KubeconfigMode,
    string ClusterDomain,
    string ServiceCidr)
{
    /// <summary><c>--datastore-endpoint</c>; null means SQLite at <c>server/db/state.db</c> in the data dir.</summary>
    public string? DatastoreEndpoint { get; init; }

    /// <summary>kube-apiserver's <c>--etcd-compaction-interval</c> (via <c>--kube-apiserver-arg</c>); zero disables compaction.</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromMinutes(5);
}
