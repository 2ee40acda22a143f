using System.Net.Sockets;
using Grpc.Core;
using K3sLab.K3s.Replication.Transport;

namespace K3sLab.Lab.Tests.Replication;

/// <summary>When a broken peer stream counts as the peer's death: the evidence rule and how a peer's close is recognised.</summary>
[Trait("Category", "Unit")]
public sealed class PeerClosureTests
{
    [Theory]
    [InlineData(false, "Refused", true)]
    [InlineData(true, "Refused", true)]
    [InlineData(true, "NoAnswer", true)]
    [InlineData(false, "NoAnswer", false)]
    [InlineData(true, "Answered", false)]
    [InlineData(false, "Answered", false)]
    [InlineData(true, "Failed", false)]
    [InlineData(false, "Failed", false)]
    public void IsDeath_RefusalOrCloseThenSilence_NeverSilenceAlone(bool closedByPeer, string probe, bool death) =>
        PeerClosure.IsDeath(closedByPeer, Enum.Parse<PortProbe>(probe)).Should().Be(death);

    [Fact]
    public void ClosedByPeer_ResponseEndedInsideTheStatus_IsAClose()
    {
        // What Grpc.Net.Client reported when a killed container's stream ended (lab log, 2026-12-02).
        var ended = new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely while waiting for the next frame from the server.");
        var rpc = new RpcException(new Status(StatusCode.Unavailable, "Error starting gRPC call.", ended));

        PeerClosure.ClosedByPeer(rpc).Should().BeTrue();
    }

    [Fact]
    public void ClosedByPeer_ResetUnderAnIOException_IsAClose()
    {
        var reset = new IOException("Unable to read data from the transport connection", new SocketException((int)SocketError.ConnectionReset));

        PeerClosure.ClosedByPeer(new RpcException(new Status(StatusCode.Unavailable, "reset", reset))).Should().BeTrue();
        PeerClosure.ClosedByPeer(reset).Should().BeTrue();
    }

    [Fact]
    public void ClosedByPeer_RefusedConnect_PingTimeout_OrDeadline_AreNot()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));
        var pingTimeout = new HttpRequestException(HttpRequestError.HttpProtocolError, "The HTTP/2 server didn't respond to a ping request in time.");

        PeerClosure.ClosedByPeer(new RpcException(new Status(StatusCode.Unavailable, "refused", refused))).Should().BeFalse("the stream never opened; the probe alone decides");
        PeerClosure.ClosedByPeer(new RpcException(new Status(StatusCode.Unavailable, "ping", pingTimeout))).Should().BeFalse("a partition looks like this: nothing was closed");
        PeerClosure.ClosedByPeer(new RpcException(new Status(StatusCode.DeadlineExceeded, "deadline"))).Should().BeFalse();
        PeerClosure.ClosedByPeer(new OperationCanceledException()).Should().BeFalse();
    }
}
