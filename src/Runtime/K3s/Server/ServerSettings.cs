using System.Net;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Server.Snapshots;

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

    /// <summary><c>--datastore-cafile</c>, <c>--datastore-certfile</c>, <c>--datastore-keyfile</c>: TLS toward an external datastore.</summary>
    public DatastoreTlsFiles DatastoreTls { get; init; } = new(null, null, null);

    /// <summary><c>--cluster-init</c>: start the embedded (Raft-replicated) datastore as a new cluster.</summary>
    public bool ClusterInit { get; init; }

    /// <summary><c>--server</c>: a server of the cluster to join (its supervisor URL, https only).</summary>
    public Uri? ServerUrl { get; init; }

    /// <summary><c>--cluster-cidr</c>.</summary>
    public string ClusterCidr { get; init; } = "10.42.0.0/16";

    /// <summary><c>--cluster-dns</c>.</summary>
    public string ClusterDns { get; init; } = "10.43.0.10";

    /// <summary>The values every server of the cluster must share.</summary>
    public CriticalConfig Critical => new(ClusterCidr, ServiceCidr, ClusterDns, ClusterDomain);

    /// <summary>kube-apiserver's <c>--etcd-compaction-interval</c> (via <c>--kube-apiserver-arg</c>); zero disables compaction.</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether the ServiceAccount admission plugin runs (off with <c>--kube-apiserver-arg disable-admission-plugins=ServiceAccount</c>).</summary>
    public bool ServiceAccountAdmission { get; init; } = true;

    /// <summary><c>--disable-agent</c>: serve the API only, without a local kubelet and Node.</summary>
    public bool DisableAgent { get; init; }

    /// <summary><c>--disable-kube-proxy</c>: no service proxy on this server's node, nor on the agents that join it (they read it from <c>/v1-k3s/config</c>).</summary>
    public bool DisableKubeProxy { get; init; }

    /// <summary>
    /// <c>--disable</c>: packaged components not to run. Of k3s's list <c>coredns</c> (the cluster DNS inside the
    /// server), <c>servicelb</c> (the ServiceLB controller), <c>local-storage</c> (the local-path provisioner and its
    /// StorageClass) and <c>metrics-server</c> name something this build runs; the others are accepted and change
    /// nothing, since it ships none of them.
    /// </summary>
    public IReadOnlySet<string> Disabled { get; init; } = new HashSet<string>();

    /// <summary>Whether this server runs the cluster DNS (not <c>--disable coredns</c>).</summary>
    public bool ClusterDnsEnabled => !Disabled.Contains("coredns");

    /// <summary><c>--node-label</c>: labels the kubelet registers its Node with.</summary>
    public IReadOnlyDictionary<string, string> NodeLabels { get; init; } = new Dictionary<string, string>();

    /// <summary><c>--node-taint</c>: taints the kubelet registers its Node with.</summary>
    public IReadOnlyList<Kubelet.NodeTaint> NodeTaints { get; init; } = [];

    /// <summary><c>--cluster-reset</c>: make this server's datastore member the only member of its cluster, then exit.</summary>
    public bool ClusterReset { get; init; }

    /// <summary><c>--cluster-reset-restore-path</c>: the snapshot file a cluster reset restores.</summary>
    public string? ClusterResetRestorePath { get; init; }

    /// <summary>Scheduled snapshots of the embedded datastore.</summary>
    public SnapshotSettings Snapshots { get; init; } = SnapshotSettings.Default;

    /// <summary><c>--node-external-ip</c>: the Node's ExternalIP address, if any.</summary>
    public IPAddress? NodeExternalIp { get; init; }

    /// <summary><c>--kubelet-arg=address=</c>: where the kubelet API listens; null means the node IP.</summary>
    public IPAddress? KubeletAddress { get; init; }

    /// <summary><c>--kubelet-arg=port=</c>: the kubelet API's port.</summary>
    public int KubeletPort { get; init; } = Kubelet.KubeletSettings.DefaultPort;

    /// <summary><c>--kubelet-arg=sync-frequency=</c>: how often mounted volumes are written again.</summary>
    public TimeSpan KubeletSyncFrequency { get; init; } = Kubelet.KubeletSettings.DefaultSyncFrequency;

    /// <summary><c>--disable-etcd</c>: run no datastore member; use the embedded datastore of the cluster joined through <c>--server</c> as an etcd client.</summary>
    public bool DisableEtcd { get; init; }

    /// <summary><c>--disable-apiserver</c>: run no Kubernetes API; with the embedded datastore this is an etcd-only server.</summary>
    public bool DisableApiServer { get; init; }

    /// <summary>The controller manager and scheduler: whether they run, leader election and node monitoring.</summary>
    public Controllers.ControllerSettings Controllers { get; init; } = K3sLab.K3s.Controllers.ControllerSettings.Default;
}

/// <summary>The TLS files for an external datastore: the CA its server certificates must chain to, and the client certificate and key to present.</summary>
internal sealed record DatastoreTlsFiles(string? CaFile, string? CertFile, string? KeyFile);
