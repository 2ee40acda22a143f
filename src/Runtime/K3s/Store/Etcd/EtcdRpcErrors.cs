using System.Net.Sockets;
using Grpc.Core;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>
/// A failed etcd call, classified: the store failure the API server sees, and whether another member may be asked.
/// <see cref="NeverSent"/>: the member never received the request (no connection, no leader to order it, a learner),
/// so even a write may go elsewhere. <see cref="MemberFault"/>: this member cannot answer right now but another might;
/// only a read (or any call that is safe to repeat) may be retried on such a failure, since a write may have been applied.
/// </summary>
internal sealed record EtcdFailure(StoreException Exception, bool NeverSent, bool MemberFault)
{
    /// <summary>True when the call may be repeated on the next endpoint.</summary>
    public bool TryNextEndpoint(bool idempotent) => NeverSent || (idempotent && MemberFault);
}

/// <summary>
/// The one place etcd's gRPC failures become <see cref="StoreException"/>s, by etcd's exact codes and messages (the
/// inverse of <see cref="K3s.Etcd.EtcdErrors"/>), so the API server answers an external etcd's failures exactly as it
/// answers its own stores': compacted → 410, no leader and request timed out → 500 with etcd's text, unreachable → 503.
/// Pure.
/// </summary>
internal static class EtcdRpcErrors
{
    public static EtcdFailure Classify(RpcException e, string endpoint) => Classify(e.StatusCode, e.Status.Detail, e.Status.DebugException, endpoint);

    public static EtcdFailure Classify(StatusCode code, string detail, Exception? debug, string endpoint)
    {
        if (KnownEtcdError(code, detail) is { } known)
        {
            return known switch
            {
                StoreError.NoLeader or StoreError.Learner => new(Store(known, detail, endpoint), NeverSent: true, MemberFault: true),
                StoreError.Timeout or StoreError.LeaderChanged or StoreError.Unavailable => new(Store(known, detail, endpoint), NeverSent: false, MemberFault: true),
                _ => new(Store(known, detail, endpoint), NeverSent: false, MemberFault: false),
            };
        }

        return code switch
        {
            StatusCode.Unavailable when IsConnectFailure(debug) =>
                new(Store(StoreError.Unavailable, $"cannot connect: {Innermost(debug!)}", endpoint), NeverSent: true, MemberFault: true),
            StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted =>
                new(Store(StoreError.Unavailable, debug is null ? detail : $"{detail} ({Innermost(debug)})", endpoint), NeverSent: false, MemberFault: true),
            StatusCode.DeadlineExceeded =>
                new(Store(StoreError.Timeout, "did not answer in time (etcdserver: request timed out)", endpoint), NeverSent: false, MemberFault: true),
            StatusCode.Unauthenticated or StatusCode.PermissionDenied =>
                new(Store(StoreError.Unavailable, $"refused the request: {detail} (does the cluster have authentication enabled? this build authenticates by client certificate only)", endpoint), NeverSent: false, MemberFault: false),
            StatusCode.Unimplemented =>
                new(Store(StoreError.NotSupported, $"does not implement the call: {detail}", endpoint), NeverSent: false, MemberFault: false),
            StatusCode.ResourceExhausted =>
                new(Store(StoreError.RequestTooLarge, detail, endpoint), NeverSent: false, MemberFault: false),
            _ => new(Store(StoreError.Unavailable, $"{code}: {detail}", endpoint), NeverSent: false, MemberFault: true),
        };
    }

    /// <summary>etcd's own failures, by code and exact message (etcd's rpctypes), as the kube-apiserver's client matches them.</summary>
    internal static StoreError? KnownEtcdError(StatusCode code, string detail) => (code, detail) switch
    {
        (StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted") => StoreError.Compacted,
        (StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision") => StoreError.FutureRevision,
        (StatusCode.OutOfRange, "etcdserver: too large lease TTL") => StoreError.LeaseTtlTooLarge,
        (StatusCode.InvalidArgument, "etcdserver: key is not provided") => StoreError.EmptyKey,
        (StatusCode.InvalidArgument, "etcdserver: key not found") => StoreError.KeyNotFound,
        (StatusCode.InvalidArgument, "etcdserver: value is provided") => StoreError.ValueProvided,
        (StatusCode.InvalidArgument, "etcdserver: lease is provided") => StoreError.LeaseProvided,
        (StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request") => StoreError.DuplicateKey,
        (StatusCode.InvalidArgument, "etcdserver: too many operations in txn request") => StoreError.TooManyOps,
        (StatusCode.InvalidArgument, "etcdserver: request is too large") => StoreError.RequestTooLarge,
        (StatusCode.NotFound, "etcdserver: requested lease not found") => StoreError.LeaseNotFound,
        (StatusCode.FailedPrecondition, "etcdserver: lease already exists") => StoreError.LeaseExists,
        (StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded") => StoreError.NoSpace,
        (StatusCode.Unavailable, "etcdserver: no leader") => StoreError.NoLeader,
        (StatusCode.Unavailable, "etcdserver: rpc not supported for learner") => StoreError.Learner,
        (StatusCode.Unavailable, "etcdserver: leader changed") => StoreError.LeaderChanged,
        (StatusCode.Unavailable, var d) when d.StartsWith("etcdserver: request timed out", StringComparison.Ordinal) => StoreError.Timeout,
        (StatusCode.Unavailable, var d) when d.StartsWith("etcdserver: ", StringComparison.Ordinal) => StoreError.Unavailable,
        _ => null,
    };

    /// <summary>A failure to open the connection at all: the request cannot have reached the member.</summary>
    public static bool IsConnectFailure(Exception? e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError })
            {
                return true;
            }

            if (x is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The deepest exception's message: the one that says what actually went wrong (refused, reset, certificate).</summary>
    public static string Innermost(Exception e)
    {
        var x = e;
        while (x.InnerException is not null)
        {
            x = x.InnerException;
        }

        return x.Message;
    }

    private static StoreException Store(StoreError error, string message, string endpoint) =>
        new(error, $"etcd {endpoint}: {message}");
}
