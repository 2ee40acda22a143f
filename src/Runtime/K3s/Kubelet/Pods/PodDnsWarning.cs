namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Something the kubelet tells about a pod's DNS configuration as a Warning event on the pod, with the kubelet's
/// reason (<see cref="MissingClusterDns"/> or <see cref="DnsConfigForming"/>) and message.
/// </summary>
internal sealed record PodDnsWarning(string Reason, string Message)
{
    /// <summary>A <c>ClusterFirst</c> pod on a node without a cluster DNS address: it gets the <c>Default</c> policy.</summary>
    public const string MissingClusterDns = "MissingClusterDNS";

    /// <summary>The nameserver or search line was over the resolver's limits and was cut.</summary>
    public const string DnsConfigForming = "DNSConfigForming";
}
