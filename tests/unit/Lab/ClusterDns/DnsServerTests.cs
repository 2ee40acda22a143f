using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using K3sLab.K3s.ClusterDns;
using Microsoft.Extensions.Logging.Abstractions;
using static K3sLab.Lab.Tests.ClusterDns.ClusterObjects;

namespace K3sLab.Lab.Tests.ClusterDns;

/// <summary>The DNS server over real UDP and TCP on loopback, with a second one as its upstream.</summary>
[Trait("Category", "Integration")]
public sealed class DnsServerTests : IAsyncLifetime
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private DnsServer _upstream = null!;
    private DnsServer _server = null!;

    public ValueTask InitializeAsync()
    {
        var outside = ClusterDnsModel.Build([], [], [Node("db.example.net", "127.0.0.77")], "upstream.local", 1);
        _upstream = DnsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), () => outside, [], NullLogger.Instance);
        var cluster = ClusterDnsModel.Build(
            [Service("default", "web", "10.43.12.7", ("http", "TCP", 80)), ExternalName("default", "db", "db.example.net")],
            [],
            [Node("agent-0", "172.18.0.4")],
            "cluster.local",
            1);
        _server = DnsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), () => cluster, [_upstream.Endpoint], NullLogger.Instance);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<byte[]> UdpAsync(string name, ushort type)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(_server.Endpoint, Ct);
        await socket.SendAsync(new DnsQuery(0x0101, true, 0, name, type, DnsType.ClassIn, null).Encode(), SocketFlags.None, Ct);
        var buffer = new byte[4096];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
        return buffer[..read];
    }

    [Fact]
    public async Task Udp_ClusterName_Answered()
    {
        var reply = UpstreamRecords.Parse(await UdpAsync("WEB.default.svc.cluster.local", DnsType.A))!.Value;

        reply.Code.Should().Be(DnsType.NoError);
        reply.Records.Should().ContainSingle().Which.Data.Should().Be(IPAddress.Parse("10.43.12.7"));
    }

    [Fact]
    public async Task Udp_OtherName_ForwardedToTheUpstream()
    {
        var reply = UpstreamRecords.Parse(await UdpAsync("db.example.net", DnsType.A))!.Value;

        reply.Records.Should().ContainSingle().Which.Data.Should().Be(IPAddress.Parse("127.0.0.77"));
    }

    [Fact]
    public async Task Udp_ExternalName_CnameFollowedThroughTheUpstream()
    {
        var reply = UpstreamRecords.Parse(await UdpAsync("db.default.svc.cluster.local", DnsType.A))!.Value;

        reply.Records.Select(r => r.Data.ToString()).Should().Equal("db.example.net", "127.0.0.77");
    }

    [Fact]
    public async Task Udp_UnknownClusterName_NxDomain()
    {
        var reply = UpstreamRecords.Parse(await UdpAsync("nope.default.svc.cluster.local", DnsType.A))!.Value;

        reply.Code.Should().Be(DnsType.NameError);
    }

    [Fact]
    public async Task Udp_NoUpstreamAnswers_ServFail()
    {
        await using var alone = DnsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), () => ClusterDnsModel.Build([], [], [], "cluster.local", 1), [], NullLogger.Instance);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(alone.Endpoint, Ct);
        await socket.SendAsync(new DnsQuery(5, true, 0, "example.org", DnsType.A, DnsType.ClassIn, null).Encode(), SocketFlags.None, Ct);
        var buffer = new byte[512];
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, Ct);

        (buffer[3] & 0x0F).Should().Be(DnsType.ServerFailure);
        read.Should().BeGreaterThan(12);
    }

    [Fact]
    public async Task Tcp_TwoQueriesOnOneConnection_BothAnswered()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_server.Endpoint, Ct);
        var stream = client.GetStream();
        foreach (var (name, expected) in new[] { ("web.default.svc.cluster.local", "10.43.12.7"), ("agent-0", "172.18.0.4") })
        {
            var query = new DnsQuery(0x0202, true, 0, name, DnsType.A, DnsType.ClassIn, null).Encode();
            var framed = new byte[query.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed, 2);
            await stream.WriteAsync(framed, Ct);
            var length = new byte[2];
            await stream.ReadExactlyAsync(length, Ct);
            var reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
            await stream.ReadExactlyAsync(reply, Ct);

            UpstreamRecords.Parse(reply)!.Value.Records.Should().ContainSingle().Which.Data.ToString().Should().Be(expected);
        }
    }
}
