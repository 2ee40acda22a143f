using System.Net;

namespace K3sLab.K3s.ClusterDns;

/// <summary>The DNS record types and response codes the cluster DNS deals in (RFC 1035, 2782, 3596, 6891).</summary>
internal static class DnsType
{
    public const ushort A = 1;
    public const ushort Ns = 2;
    public const ushort Cname = 5;
    public const ushort Soa = 6;
    public const ushort Ptr = 12;
    public const ushort Aaaa = 28;
    public const ushort Srv = 33;
    public const ushort Opt = 41;
    public const ushort Any = 255;

    public const ushort ClassIn = 1;

    public const int NoError = 0;
    public const int FormatError = 1;
    public const int ServerFailure = 2;
    public const int NameError = 3;
    public const int NotImplemented = 4;
    public const int Refused = 5;
}

/// <summary>
/// One resource record of an answer. <see cref="Data"/> is what the type carries: an <see cref="IPAddress"/> for A,
/// a host name for CNAME and PTR, a <see cref="SrvData"/> for SRV, a <see cref="SoaData"/> for SOA.
/// </summary>
internal sealed record DnsRecord(string Name, ushort Type, uint Ttl, object Data);

/// <summary>An SRV record's data (RFC 2782).</summary>
internal sealed record SrvData(ushort Priority, ushort Weight, ushort Port, string Target);

/// <summary>An SOA record's data (RFC 1035 3.3.13), given in the authority section of a negative answer.</summary>
internal sealed record SoaData(string PrimaryServer, string Mailbox, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum);

/// <summary>
/// What the cluster DNS answers for a name in its zones: a response code with the answer records, the additional
/// records (the addresses of SRV targets) and the SOA for a negative answer. <see cref="Forward"/> says the name is
/// not the cluster's and goes to the upstream servers instead.
/// </summary>
internal sealed record DnsAnswer(int ResponseCode, IReadOnlyList<DnsRecord> Answers, IReadOnlyList<DnsRecord> Additional, DnsRecord? Authority)
{
    public static readonly DnsAnswer Forward = new(-1, [], [], null);

    public bool Forwarded => ResponseCode < 0;
}
