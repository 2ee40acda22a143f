using System.Net;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// Where the etcd API listens: plain HTTP/2 (for loopback) or, with <see cref="CertFile"/> and <see cref="KeyFile"/>,
/// TLS; with <see cref="CaFile"/> too, clients must present a certificate signed by that CA (etcd's
/// <c>--client-cert-auth</c>).
/// </summary>
internal sealed record EtcdServerOptions(IPEndPoint Listen)
{
    /// <summary>More addresses served the same way (k3s's member also listens on loopback beside the node IP).</summary>
    public IReadOnlyList<IPEndPoint> AlsoListen { get; init; } = [];

    public string? CaFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    public int MaxRequestBytes { get; init; } = EtcdEndpoint.DefaultMaxRequestBytes;

    public string MemberName { get; init; } = "default";

    public bool UsesTls => CertFile is not null;
}
