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

    /// <summary>
    /// The Service's <c>spec.loadBalancerSourceRanges</c> (or the older <c>service.beta.kubernetes.io/load-balancer-source-ranges</c>
    /// annotation), IPv4 CIDRs: when set, only clients from them reach it through its load balancer addresses.
    /// </summary>
    public IReadOnlyList<string> SourceRanges { get; init; } = [];

    /// <summary>Whether its load balancer addresses go through a firewall chain (<c>KUBE-FW-</c>) of <see cref="SourceRanges"/>.</summary>
    public bool HasFirewall => SourceRanges.Count > 0 && LoadBalancerIps.Count > 0;

    /// <summary>The Service's <c>spec.externalIPs</c> (IPv4), which lead to it as its load balancer addresses do.</summary>
    public IReadOnlyList<string> ExternalIps { get; init; } = [];

    /// <summary>
    /// With <c>sessionAffinity: ClientIP</c>, how long (seconds) a client address keeps the endpoint it was last sent
    /// to (<c>sessionAffinityConfig.clientIP.timeoutSeconds</c>, default 10800); null without affinity.
    /// </summary>
    public int? AffinitySeconds { get; init; }

    /// <summary>
    /// The endpoints on this node (an EndpointSlice endpoint's <c>nodeName</c>), chosen as <see cref="Endpoints"/> are:
    /// the ready ones, else those still serving while they terminate. Used with a <c>Local</c> traffic policy.
    /// </summary>
    public IReadOnlyList<ProxyEndpoint> LocalEndpoints { get; init; } = [];

    /// <summary><c>externalTrafficPolicy: Local</c>: node ports and load balancer and external addresses reach only this node's endpoints, keeping the client's address.</summary>
    public bool ExternalLocal { get; init; }

    /// <summary><c>internalTrafficPolicy: Local</c>: the cluster IPs reach only this node's endpoints.</summary>
    public bool InternalLocal { get; init; }

    /// <summary>
    /// The Service's <c>spec.healthCheckNodePort</c> (a LoadBalancer Service with <c>externalTrafficPolicy: Local</c>),
    /// where the proxy answers with its count of local endpoints; null otherwise.
    /// </summary>
    public int? HealthCheckNodePort { get; init; }

    /// <summary>Whether traffic to a cluster IP has an endpoint to go to under the internal policy.</summary>
    public bool HasInternalEndpoints => InternalLocal ? LocalEndpoints.Count > 0 : Endpoints.Count > 0;

    /// <summary>Whether traffic to a node port or a load balancer or external address has an endpoint under the external policy.</summary>
    public bool HasExternalEndpoints => ExternalLocal ? LocalEndpoints.Count > 0 : Endpoints.Count > 0;

    /// <summary>Whether anything outside the cluster IPs leads to the port: a node port, load balancer or external addresses.</summary>
    public bool HasExternalDestinations => NodePort is not null || LoadBalancerIps.Count > 0 || ExternalIps.Count > 0;

    /// <summary>kube-proxy's <c>ServicePortName</c>: <c>ns/name</c>, and <c>:port</c> when the port is named.</summary>
    public string ServicePortName => PortName.Length == 0 ? $"{Namespace}/{Name}" : $"{Namespace}/{Name}:{PortName}";
}
