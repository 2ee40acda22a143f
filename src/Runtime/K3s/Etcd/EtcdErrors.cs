using Grpc.Core;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Etcd;

/// <summary>A request the etcd layer refuses before it reaches the store, with etcd's code and message.</summary>
internal sealed class EtcdRequestException(StatusCode code, string message) : Exception(message)
{
    public StatusCode Code { get; } = code;
}

/// <summary>
/// The one place store failures become gRPC statuses: etcd's codes and exact messages (clients such as etcdctl
/// and the kube-apiserver match on them), or, for failures etcd has no word for, a clear sentence of ours.
/// </summary>
internal static class EtcdErrors
{
    public static RpcException ToRpc(Exception e) => e switch
    {
        RpcException rpc => rpc,
        EtcdRequestException request => new RpcException(new Status(request.Code, request.Message)),
        StoreException store => new RpcException(store.Error switch
        {
            StoreError.Compacted => new Status(StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted"),
            StoreError.FutureRevision => new Status(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision"),
            StoreError.EmptyKey => new Status(StatusCode.InvalidArgument, "etcdserver: key is not provided"),
            StoreError.KeyNotFound => new Status(StatusCode.InvalidArgument, "etcdserver: key not found"),
            StoreError.ValueProvided => new Status(StatusCode.InvalidArgument, "etcdserver: value is provided"),
            StoreError.LeaseProvided => new Status(StatusCode.InvalidArgument, "etcdserver: lease is provided"),
            StoreError.DuplicateKey => new Status(StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request"),
            StoreError.TooManyOps => new Status(StatusCode.InvalidArgument, "etcdserver: too many operations in txn request"),
            StoreError.RequestTooLarge => new Status(StatusCode.InvalidArgument, "etcdserver: request is too large"),
            StoreError.LeaseNotFound => new Status(StatusCode.NotFound, "etcdserver: requested lease not found"),
            StoreError.LeaseExists => new Status(StatusCode.FailedPrecondition, "etcdserver: lease already exists"),
            StoreError.LeaseTtlTooLarge => new Status(StatusCode.OutOfRange, "etcdserver: too large lease TTL"),
            StoreError.NoSpace => new Status(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded"),
            StoreError.NotSupported => new Status(StatusCode.Unimplemented, $"k3slab datastore: {store.Message}"),
            StoreError.NoLeader => new Status(StatusCode.Unavailable, "etcdserver: no leader"),
            StoreError.Timeout => new Status(StatusCode.Unavailable, "etcdserver: request timed out"),
            StoreError.LeaderChanged => new Status(StatusCode.Unavailable, "etcdserver: leader changed"),
            StoreError.Learner => new Status(StatusCode.Unavailable, "etcdserver: rpc not supported for learner"),
            _ => new Status(StatusCode.Unavailable, $"k3slab datastore: {store.Message}"),
        }),
        OperationCanceledException => new RpcException(new Status(StatusCode.Cancelled, "context canceled")),
        _ => new RpcException(new Status(StatusCode.Internal, $"k3slab datastore: {e.Message}")),
    };

    public static RpcException NotSupported(string what) =>
        new(new Status(StatusCode.Unimplemented, $"k3slab datastore: {what} is not supported by this single-member datastore"));
}
