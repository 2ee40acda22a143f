using System.Net;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Kubelet;

namespace K3sLab.K3s.Agent;

/// <summary>What <c>k3s agent</c> was told, after its flags and environment were read and checked.</summary>
/// <param name="DataDir">The data dir (<c>--data-dir</c>); the agent keeps its files under <c>agent/</c>.</param>
/// <param name="ServerUrl">The server to join (<c>--server</c> / <c>K3S_URL</c>), an https URL.</param>
/// <param name="Token">The join token (<c>--token</c> / <c>K3S_TOKEN</c>), parsed.</param>
/// <param name="NodeName">The Node's name, lowercased, with the <c>--with-node-id</c> suffix if asked for.</param>
/// <param name="NodeIp">The node's InternalIP (<c>--node-ip</c>).</param>
/// <param name="NodeExternalIp">The node's ExternalIP (<c>--node-external-ip</c>), if any.</param>
/// <param name="NodeLabels">Labels from <c>--node-label</c>.</param>
/// <param name="NodeTaints">Taints from <c>--node-taint</c>.</param>
/// <param name="LoadBalancerPort">The load balancer's loopback port (<c>--lb-server-port</c>, default 6444).</param>
/// <param name="NodePasswordFile">Where the node password is kept (<see cref="Agent.NodePasswordFile.PathFor"/>).</param>
internal sealed record AgentSettings(
    DataDir DataDir,
    Uri ServerUrl,
    JoinToken Token,
    string NodeName,
    IPAddress NodeIp,
    IPAddress? NodeExternalIp,
    IReadOnlyDictionary<string, string> NodeLabels,
    IReadOnlyList<NodeTaint> NodeTaints,
    int LoadBalancerPort,
    string NodePasswordFile)
{
    /// <summary><c>--kubelet-arg=address=</c>: where the kubelet API listens; null means the node IP.</summary>
    public IPAddress? KubeletAddress { get; init; }

    /// <summary><c>--kubelet-arg=port=</c>: the kubelet API's port.</summary>
    public int KubeletPort { get; init; } = KubeletSettings.DefaultPort;

    /// <summary><c>--kubelet-arg=sync-frequency=</c>: how often mounted volumes are written again.</summary>
    public TimeSpan KubeletSyncFrequency { get; init; } = KubeletSettings.DefaultSyncFrequency;
}
