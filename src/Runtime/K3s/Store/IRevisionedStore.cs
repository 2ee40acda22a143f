namespace K3sLab.K3s.Store;

/// <summary>
/// The datastore contract the API server, the etcd API and the Raft store share: etcd's revisioned key-value
/// model. Every write transaction creates one new store revision; reads may ask for any revision not older than
/// the compacted one; watches deliver every change from a revision in order, without gaps.
/// </summary>
/// <remarks>
/// Thread-safety: every member may be called concurrently. Durability: a write's task completes only after the
/// write is on stable storage. Failures throw <see cref="StoreException"/>.
/// </remarks>
internal interface IRevisionedStore : IAsyncDisposable
{
    /// <summary>The latest committed revision (the highest a read without a revision sees).</summary>
    long CurrentRevision { get; }

    Task<RangeResult> RangeAsync(RangeQuery query, CancellationToken cancellationToken);

    /// <summary>Runs a transaction atomically; put and delete are transactions with one operation.</summary>
    Task<TxnResult> TxnAsync(TxnRequest txn, CancellationToken cancellationToken);

    /// <summary>Discards history before <paramref name="revision"/>; returns the revision at the time of the call. Reads and watches before it fail with <see cref="StoreError.Compacted"/> from now on; space is reclaimed in the background.</summary>
    Task<long> CompactAsync(long revision, CancellationToken cancellationToken);

    /// <summary>Starts a watch. A start revision older than the compacted one yields one canceled batch carrying the compacted revision.</summary>
    IStoreWatch Watch(WatchRequest request);

    /// <summary>Grants a lease; <paramref name="id"/> 0 lets the store choose.</summary>
    Task<LeaseGrant> GrantLeaseAsync(long id, long ttlSeconds, CancellationToken cancellationToken);

    /// <summary>Revokes a lease and deletes its keys in one revision; returns the revision after it.</summary>
    Task<long> RevokeLeaseAsync(long id, CancellationToken cancellationToken);

    /// <summary>Renews a lease to its full TTL; returns that TTL, or 0 when the lease does not exist.</summary>
    Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken);

    /// <summary>The lease's remaining TTL, or null when it does not exist.</summary>
    Task<LeaseStatus?> TimeToLiveAsync(long id, bool withKeys, CancellationToken cancellationToken);

    Task<IReadOnlyList<long>> LeasesAsync(CancellationToken cancellationToken);

    Task<StoreStatus> StatusAsync(CancellationToken cancellationToken);

    Task<StoreHash> HashKvAsync(long revision, CancellationToken cancellationToken);

    /// <summary>Writes a consistent copy of the whole store to <paramref name="destination"/>.</summary>
    Task SnapshotAsync(Stream destination, CancellationToken cancellationToken);

    /// <summary>Returns free space to the file system (etcd Defragment); may block writes while it runs.</summary>
    Task DefragmentAsync(CancellationToken cancellationToken);
}
