using System.Net.Sockets;
using Grpc.Core;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>What a TCP connect to a peer's port answered, when asked whether the peer died.</summary>
internal enum PortProbe
{
    /// <summary>The connection was accepted: something listens, the peer is not dead.</summary>
    Answered,

    /// <summary>Refused: the peer's kernel is there and nothing listens, its process died.</summary>
    Refused,

    /// <summary>Nothing came back within the probe's time: the address is gone, or the network drops the packets.</summary>
    NoAnswer,

    /// <summary>The connect failed locally (no route, stopping): no evidence either way.</summary>
    Failed,
}

/// <summary>
/// Pure rules for deciding from a broken peer stream that the peer died, as opposed to being cut off or slow. The
/// Raft core may then campaign at once instead of waiting out its election timeout; a wrong report only costs an
/// early pre-vote the others refuse while they still hear their leader.
/// </summary>
internal static class PeerClosure
{
    /// <summary>
    /// The evidence of a death: a refused connection (the peer's kernel says nothing listens), or a stream the peer's
    /// side closed (end of stream or reset) followed by no answer at all (its container or machine left with its
    /// address, as a killed Docker container does a moment after its sockets close). A partition closes nothing, so
    /// silence alone is never enough.
    /// </summary>
    public static bool IsDeath(bool closedByPeer, PortProbe probe) =>
        probe == PortProbe.Refused || (closedByPeer && probe == PortProbe.NoAnswer);

    /// <summary>
    /// Whether the failure is the peer's end closing the connection (the response ended before its end of stream, or
    /// the connection was reset), found anywhere in the exception's chain or in a gRPC status's debug exception;
    /// rather than this side timing out, cancelling or failing to connect.
    /// </summary>
    public static bool ClosedByPeer(Exception exception)
    {
        var current = exception;
        for (var depth = 0; current is not null && depth < 16; depth++)
        {
            switch (current)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case SocketException { SocketErrorCode: SocketError.ConnectionReset }:
                    return true;
            }

            current = current.InnerException ?? (current as RpcException)?.Status.DebugException;
        }

        return false;
    }
}
