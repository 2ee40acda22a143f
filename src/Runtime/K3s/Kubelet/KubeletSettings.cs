using System.Net;

namespace K3sLab.K3s.Kubelet;

/// <summary>
/// What the kubelet was told: its node's name and addresses, the labels and taints to register with, where the
/// API server is and where to keep its files (<c>&lt;data-dir&gt;/agent</c>).
/// </summary>
/// <param name="NodeName">The Node's name (<c>--node-name</c>, default the hostname lowercased).</param>
/// <param name="NodeIp">The InternalIP (<c>--node-ip</c>); pods get it as their IP too.</param>
/// <param name="ExternalIp">The ExternalIP (<c>--node-external-ip</c>), if any.</param>
/// <param name="Labels">Labels from <c>--node-label</c>, on top of the ones every node gets.</param>
/// <param name="Taints">Taints from <c>--node-taint</c>, set when the node registers.</param>
/// <param name="ControlPlane">Whether this node is a server, which gets the control-plane role labels.</param>
/// <param name="ApiServer">The API server's URL, e.g. <c>https://127.0.0.1:6443</c>.</param>
/// <param name="AgentDirectory">The agent's data dir: client certificate, pod logs.</param>
internal sealed record KubeletSettings(
    string NodeName,
    IPAddress NodeIp,
    IPAddress? ExternalIp,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<NodeTaint> Taints,
    bool ControlPlane,
    Uri ApiServer,
    string AgentDirectory)
{
    /// <summary>Annotations to register with beyond the kubelet's own (a server's datastore member, for instance).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>The runtime's name in <c>nodeInfo.containerRuntimeVersion</c> (<c>process</c>, or <c>hollow</c> on a hollow node).</summary>
    public string ContainerRuntime { get; init; } = "process";

    /// <summary>
    /// Fixed capacity and identity to report instead of measuring the machine, as a kubemark hollow node does; null
    /// (a real node) reads them from the machine at every status check.
    /// </summary>
    public Node.NodeFacts? FixedFacts { get; init; }

    /// <summary>The kubelet's default API port, as in k3s and the kubelet.</summary>
    public const int DefaultPort = 10250;

    /// <summary>The kubelet's default <c>--sync-frequency</c>.</summary>
    public static readonly TimeSpan DefaultSyncFrequency = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often a running pod's config map, secret, downward API and projected volumes are written again
    /// (<c>--kubelet-arg=sync-frequency=</c>), so an edited config map reaches its pods, as the kubelet's periodic pod
    /// sync does. Projected tokens are only requested again when 80 % of their lifetime has passed.
    /// </summary>
    public TimeSpan SyncFrequency { get; init; } = DefaultSyncFrequency;

    /// <summary>
    /// The address the kubelet API listens on (<c>--kubelet-arg=address=</c>); null means the node IP, so that several
    /// nodes share one machine in tests (the kubelet's own default is every address).
    /// </summary>
    public IPAddress? ServerAddress { get; init; }

    /// <summary>The kubelet API's port (<c>--kubelet-arg=port=</c>), reported in the Node's <c>daemonEndpoints</c>.</summary>
    public int ServerPort { get; init; } = DefaultPort;

    /// <summary>Where the kubelet API listens.</summary>
    public IPEndPoint ServerEndpoint => new(ServerAddress ?? NodeIp, ServerPort);

    /// <summary>Where a local client reaches the kubelet API (loopback when it listens on every address).</summary>
    public IPEndPoint LocalServerEndpoint =>
        ServerEndpoint.Address.Equals(IPAddress.Any) ? new(IPAddress.Loopback, ServerPort)
        : ServerEndpoint.Address.Equals(IPAddress.IPv6Any) ? new(IPAddress.IPv6Loopback, ServerPort)
        : ServerEndpoint;

    /// <summary>
    /// The API address pods are given in <c>KUBERNETES_SERVICE_HOST</c>/<c>_PORT</c>: the <c>kubernetes</c> Service's
    /// cluster IP and port 443 when this node runs the service proxy, as kube gives it; otherwise (null) the address
    /// the kubelet itself uses, since no cluster IP leads anywhere on the node.
    /// </summary>
    public Uri? InClusterApi { get; init; }

    /// <summary>
    /// The cluster DNS server pods with a <c>ClusterFirst</c> policy are given as their only nameserver
    /// (<c>--cluster-dns</c>, reached through the node's service proxy); null when this node has none (no service proxy):
    /// then pods keep the node's own <c>/etc/resolv.conf</c>, as before, and the kubelet writes no resolv.conf for them.
    /// </summary>
    public IPAddress? ClusterDns { get; init; }

    /// <summary>The cluster's DNS domain (<c>--cluster-domain</c>), the base of a pod's <c>&lt;ns&gt;.svc.&lt;domain&gt;</c> search paths.</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>
    /// The node's resolver file (the kubelet's <c>--resolv-conf</c>): the nameservers, search paths and options of the
    /// <c>Default</c> DNS policy, and the host search paths that follow the cluster ones. A missing file is an empty one.
    /// </summary>
    public string ResolvConf { get; init; } = "/etc/resolv.conf";

    /// <summary>Where container logs go: <c>&lt;agent&gt;/logs/pods/&lt;ns&gt;_&lt;pod&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;restart&gt;.log</c>.</summary>
    public string PodLogDirectory => Path.Combine(AgentDirectory, "logs", "pods");
}
