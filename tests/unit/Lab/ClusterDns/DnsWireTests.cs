using System.Net;
using K3sLab.K3s.ClusterDns;

namespace K3sLab.Lab.Tests.ClusterDns;

[Trait("Category", "Unit")]
public sealed class DnsWireTests
{
    // A query for "web.default.svc.cluster.local" A with an EDNS OPT record offering 1232 bytes, as glibc sends it with
    // "options edns0" (bytes written out from RFC 1035 and RFC 6891).
    private static readonly byte[] EdnsQuery =
    [
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        3, (byte)'w', (byte)'e', (byte)'b', 7, (byte)'d', (byte)'e', (byte)'f', (byte)'a', (byte)'u', (byte)'l', (byte)'t',
        3, (byte)'s', (byte)'v', (byte)'c', 7, (byte)'c', (byte)'l', (byte)'u', (byte)'s', (byte)'t', (byte)'e', (byte)'r',
        5, (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', 0,
        0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    [Fact]
    public void Parse_QueryWithEdns_QuestionAndPayloadSize()
    {
        var query = DnsQuery.Parse(EdnsQuery, out var error);

        error.Should().Be(DnsType.NoError);
        query.Should().Be(new DnsQuery(0x1234, true, 0, "web.default.svc.cluster.local", DnsType.A, DnsType.ClassIn, 1232));
    }

    [Fact]
    public void Parse_Malformed_Null()
    {
        DnsQuery.Parse(EdnsQuery.AsSpan(0, 11), out var error).Should().BeNull();
        error.Should().Be(DnsType.FormatError);
        DnsQuery.Parse(EdnsQuery.AsSpan(0, 30), out _).Should().BeNull("the question runs past the end");
        var response = (byte[])EdnsQuery.Clone();
        response[2] |= 0x80;
        DnsQuery.Parse(response, out _).Should().BeNull("a response is not a query");
        var looping = new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1 };
        DnsQuery.Parse(looping, out _).Should().BeNull("a compression pointer to itself loops");
    }

    [Fact]
    public void Encode_ParsesBackUppercaseLowered()
    {
        var query = new DnsQuery(7, true, 0, "Example.COM", DnsType.Aaaa, DnsType.ClassIn, null);

        DnsQuery.Parse(query.Encode(), out _).Should().Be(query with { Name = "example.com" });
    }

    [Fact]
    public void Write_Answer_ReadsBackAsAnUpstreamsWould()
    {
        var query = DnsQuery.Parse(EdnsQuery, out _)!;
        var answer = new DnsAnswer(
            DnsType.NoError,
            [new DnsRecord(query.Name, DnsType.Cname, 5, "web2.default.svc.cluster.local"), new DnsRecord("web2.default.svc.cluster.local", DnsType.A, 5, IPAddress.Parse("10.43.0.99"))],
            [],
            null);

        var bytes = DnsResponse.Write(query, answer, 512);

        bytes[0..2].Should().Equal(0x12, 0x34);
        (bytes[2] & 0x84).Should().Be(0x84, "a response, authoritative");
        (bytes[3] & 0x80).Should().Be(0x80, "recursion available");
        bytes[11].Should().Be(1, "the OPT record comes back");
        var parsed = UpstreamRecords.Parse(bytes)!.Value;
        parsed.Code.Should().Be(DnsType.NoError);
        parsed.Records.Should().Equal(answer.Answers);
    }

    [Fact]
    public void Write_TooLargeForUdp_TruncatedToTheQuestion()
    {
        var query = new DnsQuery(9, true, 0, "big.default.svc.cluster.local", DnsType.A, DnsType.ClassIn, null);
        var records = Enumerable.Range(1, 40).Select(i => new DnsRecord(query.Name, DnsType.A, 5, IPAddress.Parse($"10.42.0.{i}"))).ToList();

        var udp = DnsResponse.Write(query, new DnsAnswer(DnsType.NoError, records, [], null), 512);
        var tcp = DnsResponse.Write(query, new DnsAnswer(DnsType.NoError, records, [], null), ushort.MaxValue);

        (udp[2] & 0x02).Should().Be(0x02, "TC tells the stub to ask again over TCP");
        udp[7].Should().Be(0);
        (tcp[2] & 0x02).Should().Be(0);
        UpstreamRecords.Parse(tcp)!.Value.Records.Should().HaveCount(40);
    }

    [Fact]
    public void Write_NameError_CodeAndSoa()
    {
        var query = new DnsQuery(3, false, 0, "nope.cluster.local", DnsType.A, DnsType.ClassIn, null);
        var soa = new DnsRecord("cluster.local", DnsType.Soa, 5, new SoaData("ns.dns.cluster.local", "hostmaster.cluster.local", 1, 7200, 1800, 86400, 5));

        var bytes = DnsResponse.Write(query, new DnsAnswer(DnsType.NameError, [], [], soa), 512);

        (bytes[3] & 0x0F).Should().Be(DnsType.NameError);
        bytes[9].Should().Be(1, "one authority record");
        (bytes[2] & 0x01).Should().Be(0, "RD is echoed");
    }

    [Fact]
    public void Upstreams_FromResolvConf_NameserversButOwnAddresses()
    {
        const string text = "# generated\nsearch lab.internal\nnameserver 127.0.0.11\nnameserver 10.43.0.10\nnameserver fe80::1%eth0\nnameserver 127.0.0.11\noptions ndots:0\n";

        var upstreams = Upstreams.FromResolvConf(text, [IPAddress.Parse("10.43.0.10")]);

        upstreams.Should().Equal(new IPEndPoint(IPAddress.Parse("127.0.0.11"), 53), new IPEndPoint(IPAddress.Parse("fe80::1"), 53));
    }
}
