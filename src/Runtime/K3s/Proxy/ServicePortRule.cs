namespace K3sLab.K3s.Proxy;

/// <summary>One backend of a Service port: an address and the port it serves on.</summary>
internal sealed record ProxyEndpoint(string Ip, int Port)
{
    public override string ToString() => $"{Ip}:{Port}";
}

/// <summary>
/// What the proxy programs for one port of one Service: the cluster IPs, node port and load balancer addresses that lead to it, and the
/// endpoints it balances over (empty: connections are refused, as kube-proxy refuses them).
/// </summary>
internal sealed record ServicePortRule(
    string Namespace,
    string Name,
    string PortName,
    string Protocol,
    IReadOnlyList<string> ClusterIps,
    int Port,
    int? NodePort,
    IReadOnlyList<ProxyEndpoint> Endpoints)
{
    /// <summary>The Service's <c>status.loadBalancer.ingress</c> addresses (IPv4), which lead to it as its node port does.</summary>
    public IReadOnlyList<string> LoadBalancerIps { get; init; } = [];

    /// <summary>The Service's <c>spec.externalIPs</c> (IPv4), which lead to it as its load balancer addresses do.</summary>
    public IReadOnlyList<string> ExternalIps { get; init; } = [];

    /// <summary>
    /// With <c>sessionAffinity: ClientIP</c>, how long (seconds) a client address keeps the endpoint it was last sent
    /// to (<c>sessionAffinityConfig.clientIP.timeoutSeconds</c>, default 10800); null without affinity.
    /// </summary>
    public int? AffinitySeconds { get; init; }

    /// <summary>kube-proxy's <c>ServicePortName</c>: <c>ns/name</c>, and <c>:port</c> when the port is named.</summary>
    public string ServicePortName => PortName.Length == 0 ? $"{Namespace}/{Name}" : $"{Namespace}/{Name}:{PortName}";
}
