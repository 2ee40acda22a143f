using System.Net;

namespace K3sLab.K3s.Bootstrap;

/// <summary>The server settings the bootstrap step needs, named after the k3s flags they come from.</summary>
/// <param name="DataDir"><c>--data-dir</c>.</param>
/// <param name="Token"><c>--token</c>/<c>--token-file</c>: a secure or short token, or null to generate one (first server only).</param>
/// <param name="AgentToken"><c>--agent-token</c>, or null to let agents use the server token.</param>
/// <param name="NodeName"><c>--node-name</c> (default: the host name).</param>
/// <param name="NodeAddresses"><c>--node-ip</c>/<c>--advertise-address</c>: put in the serving certificate.</param>
/// <param name="TlsSans"><c>--tls-san</c>: extra names or addresses for the serving certificate.</param>
/// <param name="ClusterDomain"><c>--cluster-domain</c>.</param>
/// <param name="ServiceCidr"><c>--service-cidr</c>: its first address is the <c>kubernetes</c> Service's IP.</param>
/// <param name="HttpsListenPort"><c>--https-listen-port</c>: the port the admin kubeconfig points at.</param>
internal sealed record ServerBootstrapOptions(
    DataDir DataDir,
    string? Token,
    string? AgentToken,
    string NodeName,
    IReadOnlyList<IPAddress> NodeAddresses,
    IReadOnlyList<string> TlsSans,
    string ClusterDomain = "cluster.local",
    string ServiceCidr = "10.43.0.0/16",
    int HttpsListenPort = 6443);
