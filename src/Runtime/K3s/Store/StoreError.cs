namespace K3sLab.K3s.Store;

/// <summary>The failures the store contract names; the etcd API maps each to etcd's gRPC code and message once.</summary>
internal enum StoreError
{
    /// <summary>The revision asked for is older than the compacted revision.</summary>
    Compacted,

    /// <summary>The revision asked for is newer than the store's current revision.</summary>
    FutureRevision,

    /// <summary>A request without a key.</summary>
    EmptyKey,

    /// <summary>A put with ignore_value or ignore_lease on a key that does not exist.</summary>
    KeyNotFound,

    /// <summary>ignore_value together with a value.</summary>
    ValueProvided,

    /// <summary>ignore_lease together with a lease.</summary>
    LeaseProvided,

    /// <summary>A transaction writes the same key twice in one branch.</summary>
    DuplicateKey,

    /// <summary>A transaction with more operations than the limit.</summary>
    TooManyOps,

    /// <summary>A request larger than the size limit.</summary>
    RequestTooLarge,

    /// <summary>The lease does not exist (never granted, revoked or expired).</summary>
    LeaseNotFound,

    /// <summary>A grant with an ID that is already in use.</summary>
    LeaseExists,

    /// <summary>A lease TTL above the maximum.</summary>
    LeaseTtlTooLarge,

    /// <summary>The disk is full or the database is at its quota.</summary>
    NoSpace,

    /// <summary>The store cannot serve right now (read-only disk, closed, no quorum); nothing was written.</summary>
    Unavailable,

    /// <summary>The request is valid etcd but this store does not implement it.</summary>
    NotSupported,

    /// <summary>A replicated store's member knows no leader, so it cannot order the request.</summary>
    NoLeader,

    /// <summary>A replicated store did not commit (or confirm) the request in time; a write may or may not have happened.</summary>
    Timeout,

    /// <summary>The leader changed while the request was in flight; a write may or may not have happened.</summary>
    LeaderChanged,

    /// <summary>The member is a learner, which serves no client requests but status.</summary>
    Learner,
}

/// <summary>A typed store failure. The message is the user-facing sentence; the etcd layer adds etcd's own text.</summary>
internal sealed class StoreException(StoreError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public StoreError Error { get; } = error;

    /// <summary>For <see cref="StoreError.Compacted"/>: the compacted revision.</summary>
    public long CompactRevision { get; init; }
}
