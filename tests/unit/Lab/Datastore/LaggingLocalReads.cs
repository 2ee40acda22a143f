using K3sLab.K3s.Store;

namespace K3sLab.Lab.Tests.Datastore;

/// <summary>
/// A real store seen through a member that lags: serializable (local) reads answer as of <see cref="At"/>, an older
/// revision, while linearizable reads and writes go to the store as they are. Everything else passes through.
/// </summary>
internal sealed class LaggingLocalReads(IRevisionedStore inner) : IRevisionedStore
{
    /// <summary>The revision local reads answer at; 0 answers at the latest, as an up-to-date member does.</summary>
    public long At { get; set; }

    /// <summary>How many reads were served locally and how many went through the quorum.</summary>
    public (int Local, int Linearizable) Reads { get; private set; }

    public long CurrentRevision => inner.CurrentRevision;

    public Task<RangeResult> RangeAsync(RangeQuery query, CancellationToken cancellationToken)
    {
        Reads = query.Serializable ? (Reads.Local + 1, Reads.Linearizable) : (Reads.Local, Reads.Linearizable + 1);
        return inner.RangeAsync(query.Serializable && At > 0 && query.Revision == 0 ? query with { Revision = At } : query, cancellationToken);
    }

    public Task<TxnResult> TxnAsync(TxnRequest txn, CancellationToken cancellationToken) => inner.TxnAsync(txn, cancellationToken);

    public Task<long> CompactAsync(long revision, CancellationToken cancellationToken) => inner.CompactAsync(revision, cancellationToken);

    public IStoreWatch Watch(WatchRequest request) => inner.Watch(request);

    public Task<LeaseGrant> GrantLeaseAsync(long id, long ttlSeconds, CancellationToken cancellationToken) => inner.GrantLeaseAsync(id, ttlSeconds, cancellationToken);

    public Task<long> RevokeLeaseAsync(long id, CancellationToken cancellationToken) => inner.RevokeLeaseAsync(id, cancellationToken);

    public Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken) => inner.KeepAliveAsync(id, cancellationToken);

    public Task<LeaseStatus?> TimeToLiveAsync(long id, bool withKeys, CancellationToken cancellationToken) => inner.TimeToLiveAsync(id, withKeys, cancellationToken);

    public Task<IReadOnlyList<long>> LeasesAsync(CancellationToken cancellationToken) => inner.LeasesAsync(cancellationToken);

    public Task<StoreStatus> StatusAsync(CancellationToken cancellationToken) => inner.StatusAsync(cancellationToken);

    public Task<StoreHash> HashKvAsync(long revision, CancellationToken cancellationToken) => inner.HashKvAsync(revision, cancellationToken);

    public Task SnapshotAsync(Stream destination, CancellationToken cancellationToken) => inner.SnapshotAsync(destination, cancellationToken);

    public Task DefragmentAsync(CancellationToken cancellationToken) => inner.DefragmentAsync(cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
