using System.Net.Sockets;
using Grpc.Core;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Etcd;

namespace K3sLab.Lab.Tests.Datastore.Etcd;

[Trait("Category", "Unit")]
public sealed class EtcdRpcErrorsTests
{
    private const string Endpoint = "https://10.0.0.1:2379";

    [Theory]
    [InlineData(StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted", "Compacted")]
    [InlineData(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision", "FutureRevision")]
    [InlineData(StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request", "DuplicateKey")]
    [InlineData(StatusCode.InvalidArgument, "etcdserver: request is too large", "RequestTooLarge")]
    [InlineData(StatusCode.NotFound, "etcdserver: requested lease not found", "LeaseNotFound")]
    [InlineData(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded", "NoSpace")]
    [InlineData(StatusCode.Unavailable, "etcdserver: no leader", "NoLeader")]
    [InlineData(StatusCode.Unavailable, "etcdserver: request timed out", "Timeout")]
    [InlineData(StatusCode.Unavailable, "etcdserver: request timed out, possibly due to previous leader failure", "Timeout")]
    [InlineData(StatusCode.Unavailable, "etcdserver: leader changed", "LeaderChanged")]
    [InlineData(StatusCode.Unavailable, "etcdserver: too many requests", "Unavailable")]
    [InlineData(StatusCode.DeadlineExceeded, "Deadline Exceeded", "Timeout")]
    [InlineData(StatusCode.Unimplemented, "unknown service", "NotSupported")]
    public void Classify_EtcdStatus_MapsToTheStoreError(StatusCode code, string detail, string expected)
    {
        var failure = EtcdRpcErrors.Classify(code, detail, null, Endpoint);

        failure.Exception.Error.ToString().Should().Be(expected);
        failure.Exception.Message.Should().StartWith($"etcd {Endpoint}: ");
    }

    [Fact]
    public void Classify_NoLeader_MayGoToAnotherMemberEvenForAWrite()
    {
        var failure = EtcdRpcErrors.Classify(StatusCode.Unavailable, "etcdserver: no leader", null, Endpoint);

        failure.TryNextEndpoint(idempotent: false).Should().BeTrue("the member refused before proposing anything");
    }

    [Fact]
    public void Classify_RequestTimedOut_RetriesReadsButNotWrites()
    {
        var failure = EtcdRpcErrors.Classify(StatusCode.Unavailable, "etcdserver: request timed out", null, Endpoint);

        failure.TryNextEndpoint(idempotent: true).Should().BeTrue();
        failure.TryNextEndpoint(idempotent: false).Should().BeFalse("the write may have been applied");
    }

    [Fact]
    public void Classify_ConnectionRefused_NeverSentSoWritesMayMove()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (10.0.0.1:2379)", new SocketException((int)SocketError.ConnectionRefused));

        var failure = EtcdRpcErrors.Classify(StatusCode.Unavailable, "Error starting gRPC call.", refused, Endpoint);

        failure.Exception.Error.Should().Be(StoreError.Unavailable);
        failure.NeverSent.Should().BeTrue();
        failure.TryNextEndpoint(idempotent: false).Should().BeTrue();
        failure.Exception.Message.Should().Contain("cannot connect");
    }

    [Fact]
    public void Classify_StreamResetMidCall_RetriesOnlyReads()
    {
        var reset = new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely");

        var failure = EtcdRpcErrors.Classify(StatusCode.Unavailable, "Error reading next message.", reset, Endpoint);

        failure.Exception.Error.Should().Be(StoreError.Unavailable);
        failure.TryNextEndpoint(idempotent: true).Should().BeTrue();
        failure.TryNextEndpoint(idempotent: false).Should().BeFalse();
    }

    [Fact]
    public void Classify_Compacted_IsNotRetriedElsewhere()
    {
        var failure = EtcdRpcErrors.Classify(StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted", null, Endpoint);

        failure.TryNextEndpoint(idempotent: true).Should().BeFalse("every member has compacted the same revisions");
    }
}
