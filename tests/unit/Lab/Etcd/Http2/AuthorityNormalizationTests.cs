using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Etcd.Http2;
using K3sLab.K3s.Etcd.Wire;
using K3sLab.Lab.Host;
using K3sLab.Lab.Tests.Datastore;

namespace K3sLab.Lab.Tests.Etcd.Http2;

/// <summary>The etcd server on a real socket, with the middleware in front of Kestrel's HTTP/2.</summary>
[Trait("Category", "Integration")]
public sealed class AuthorityNormalizationTests : IAsyncLifetime
{
    private readonly TempStore _store = new();
    private readonly int _port = Loopback.FreePort();
    private WebApplication? _app;

    public async ValueTask InitializeAsync()
    {
        var url = $"http://127.0.0.1:{_port}";
        var member = new EtcdMember(_store.Store.Identity.MemberId, _store.Store.Identity.ClusterId, "default", [url], ["http://localhost:2380"]);
        _app = EtcdServer.Build(_store.Store, new SingleMemberCluster(member, _store.Store), new EtcdServerOptions(new IPEndPoint(IPAddress.Loopback, _port)));
        await _app.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        await _store.DisposeAsync();
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}")]
    [InlineData("https://127.0.0.1:{0}/")]
    [InlineData("127.0.0.1:{0}")]
    public async Task Status_AuthorityAsEtcdctlSendsIt_Succeeds(string authority)
    {
        var ct = TestContext.Current.CancellationToken;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _port, ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        byte[] headers =
        [
            0x83, 0x86, 0x44, .. Hpack.String("/etcdserverpb.Maintenance/Status"),
            0x41, .. Hpack.String(string.Format(System.Globalization.CultureInfo.InvariantCulture, authority, _port)),
            0x5f, .. Hpack.String("application/grpc"), // content-type, indexed name 31
            .. Hpack.Field("te", "trailers"),
        ];
        await stream.WriteAsync(Http2Frame.ClientPreface.ToArray(), ct);
        await stream.WriteAsync(Frame(0x4, 0, 0, []), ct);
        await stream.WriteAsync(Frame(0x1, Http2Frame.EndHeaders, 1, headers), ct);
        await stream.WriteAsync(Frame(0x0, Http2Frame.EndStream, 1, [0, 0, 0, 0, 0]), ct);

        // Read the server's frames until the call on stream 1 ends: trailers with END_STREAM, or a reset.
        var decoder = new HpackDecoder();
        var fields = new List<string>();
        while (true)
        {
            var header = new byte[Http2Frame.HeaderLength];
            await stream.ReadExactlyAsync(header, ct);
            var frame = Http2Frame.Read(header);
            var payload = new byte[frame.Length];
            await stream.ReadExactlyAsync(payload, ct);
            frame.Type.Should().NotBe(0x3, "the server must not reset the stream (RST_STREAM)");
            frame.Type.Should().NotBe(0x7, "the server must not close the connection (GOAWAY)");
            if (frame.Type == Http2Frame.Headers)
            {
                fields.AddRange(RecordedFields.Decode(decoder, payload));
                if ((frame.Flags & Http2Frame.EndStream) != 0)
                {
                    break;
                }
            }
        }

        fields.Should().Contain(":status: 200").And.Contain("grpc-status: 0");
    }

    [Fact]
    public async Task Put_ManyConcurrentCallsFromTheDotNetClient_AllSucceed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_port}");
        var kv = new KV.KVClient(channel);

        var puts = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"k{i}"), Value = ByteString.CopyFrom(new byte[i * 100]) }, cancellationToken: ct).ResponseAsync));

        var range = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("k"), RangeEnd = ByteString.CopyFromUtf8("l") }, cancellationToken: ct);
        range.Kvs.Should().HaveCount(200);
        range.Kvs.Sum(k => k.Value.Length).Should().Be(Enumerable.Range(0, 200).Sum(i => i * 100));
        puts.Max(p => p.Header.Revision).Should().Be(range.Header.Revision);
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new byte[Http2Frame.HeaderLength + payload.Length];
        new Http2Frame(payload.Length, type, flags, stream).Write(frame);
        payload.CopyTo(frame, Http2Frame.HeaderLength);
        return frame;
    }
}
