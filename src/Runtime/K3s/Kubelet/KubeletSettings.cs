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

    /// <summary>Where container logs go: <c>&lt;agent&gt;/logs/pods/&lt;ns&gt;_&lt;pod&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;restart&gt;.log</c>.</summary>
    public string PodLogDirectory => Path.Combine(AgentDirectory, "logs", "pods");
}
