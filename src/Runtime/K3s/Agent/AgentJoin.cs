using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Agent;

/// <summary>
/// What an agent's join brings back: the cluster CA, the kubelet's client and serving certificates, the supervisor
/// client, the API servers, and, unless the cluster runs without the service proxy, the proxy's client certificate,
/// the in-cluster API address (the <c>kubernetes</c> Service's cluster IP) pods are given and the cluster DNS
/// address their resolv.conf names (<c>ClusterDNS</c> of <c>/v1-k3s/config</c>; without the proxy nothing leads
/// to it, so null), with the cluster's DNS domain (<c>ClusterDomain</c>).
/// </summary>
internal sealed record AgentJoin(
    X509Certificate2 Ca,
    X509Certificate2 Client,
    X509Certificate2 Serving,
    SupervisorClient Supervisor,
    IReadOnlyList<string> ApiServers,
    X509Certificate2? KubeProxy,
    Uri? InClusterApi,
    System.Net.IPAddress? ClusterDns,
    string ClusterDomain);
