using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using K3sLab.K3s.Etcd.Wire;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// Requests etcdctl never sends, sent as raw gRPC bytes to real etcd 3.4 and to <c>k3s datastore serve</c>: a body
/// that is not a protobuf message, a message with fields the API does not define, and a method that does not exist.
/// Both stores must answer alike, and a bad request must not cost an acknowledged write.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class DatastoreWireTests(EtcdAndDatastoreFixture stores) : IClassFixture<EtcdAndDatastoreFixture>
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    [Fact]
    public async Task MalformedBody_IsRefusedAlike_AndLosesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var codes = new Dictionary<string, StatusCode>();
        var messages = new Dictionary<string, string>();
        foreach (var store in new[] { stores.Etcd, stores.Datastore })
        {
            using var channel = GrpcChannel.ForAddress(store.ClientUrl);
            var kv = new KV.KVClient(channel);
            var before = await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("wire/kept"), Value = ByteString.CopyFromUtf8("v") }, cancellationToken: ct);

            // A length-delimited field whose length runs past the end of the message.
            var call = () => Call(channel, "Put", [0x0a, 0x7f, 0x01, 0x02], ct);
            var refused = (await call.Should().ThrowAsync<RpcException>()).Which;
            (codes[store.Name], messages[store.Name]) = (refused.StatusCode, refused.Status.Detail);

            var kept = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("wire/kept") }, cancellationToken: ct);
            kept.Kvs.Should().ContainSingle().Which.ModRevision.Should().Be(before.Header.Revision, $"{store.Name} keeps the write made before the bad request");
        }

        codes[stores.Datastore.Name].Should().Be(codes[stores.Etcd.Name], "a malformed body gets the status code etcd gives");
        messages[stores.Etcd.Name].Should().StartWith("grpc: error unmarshalling request: ");
        messages[stores.Datastore.Name].Should().StartWith("grpc: error unmarshalling request: ");
    }

    [Fact]
    public async Task UnknownFields_AreIgnoredAlike()
    {
        var ct = TestContext.Current.CancellationToken;
        var request = new PutRequest { Key = ByteString.CopyFromUtf8("wire/unknown"), Value = ByteString.CopyFromUtf8("v") }.ToByteArray()
            .Concat(new byte[] { 0xf8, 0x06, 0x2a }) // field 111, varint 42: not in PutRequest
            .ToArray();
        foreach (var store in new[] { stores.Etcd, stores.Datastore })
        {
            using var channel = GrpcChannel.ForAddress(store.ClientUrl);
            var response = PutResponse.Parser.ParseFrom(await Call(channel, "Put", request, ct));
            response.Header.Revision.Should().BePositive();
            var stored = await new KV.KVClient(channel).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("wire/unknown") }, cancellationToken: ct);
            stored.Kvs.Should().ContainSingle($"{store.Name} stores a put that carries an unknown field").Which.Value.ToStringUtf8().Should().Be("v");
        }
    }

    [Fact]
    public async Task UnknownMethod_IsUnimplementedOnBoth()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var store in new[] { stores.Etcd, stores.Datastore })
        {
            using var channel = GrpcChannel.ForAddress(store.ClientUrl);
            var call = () => Call(channel, "Scan", [], ct);
            (await call.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unimplemented, store.Name);
        }
    }

    private static async Task<byte[]> Call(GrpcChannel channel, string method, byte[] body, CancellationToken ct)
    {
        var definition = new Method<byte[], byte[]>(MethodType.Unary, "etcdserverpb.KV", method, Raw, Raw);
        return await channel.CreateCallInvoker().AsyncUnaryCall(definition, null, new CallOptions(cancellationToken: ct, deadline: DateTime.UtcNow.AddSeconds(10)), body);
    }
}
