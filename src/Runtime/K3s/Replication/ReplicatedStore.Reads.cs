using K3sLab.K3s.Store;
using K3sLab.K3s.Replication.State;

namespace K3sLab.K3s.Replication;

internal sealed partial class ReplicatedStore
{
    public async Task<RangeResult> RangeAsync(RangeQuery query, CancellationToken cancellationToken)
    {
        TxnValidation.ValidateRange(query);
        await BarrierAsync(query.Serializable, cancellationToken).ConfigureAwait(false);
        lock (_stateGate)
        {
            return _state.Range(query);
        }
    }

    public async Task<StoreHash> HashKvAsync(long revision, CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        lock (_stateGate)
        {
            return _state.HashKv(revision);
        }
    }

    /// <summary>
    /// The store's status. The size reported is the member's durable state (<see cref="Host.RaftHost.StateBytes"/>: the newest
    /// snapshot and the log after it), the nearest thing to etcd's database file; measuring the in-memory state would
    /// mean encoding it under the state lock, stalling applies.
    /// </summary>
    public Task<StoreStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var size = Host.StateBytes();
        lock (_stateGate)
        {
            return Task.FromResult(new StoreStatus(_state.Revision, _state.CompactRevision, size, size, Host.MemberId, Host.ClusterId, Host.Name));
        }
    }

    /// <summary>Writes this member's state (etcd's snapshot save streams the member's database the same way).</summary>
    public Task SnapshotAsync(Stream destination, CancellationToken cancellationToken)
    {
        MvccSnapshotView view;
        lock (_stateGate)
        {
            view = _state.CaptureSnapshot();
        }

        // Encoded outside the lock: applies and reads go on while a large state streams out.
        return Task.Run(() => view.WriteTo(destination), cancellationToken);
    }

    /// <summary>The state lives in memory and the log is compacted by snapshots: there is nothing to defragment.</summary>
    public Task DefragmentAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Makes a read linearizable (etcd's default): confirms through ReadIndex that this member's copy includes every
    /// write acknowledged before the read began. Serializable reads skip it and may be stale.
    /// </summary>
    private Task BarrierAsync(bool serializable, CancellationToken cancellationToken)
    {
        if (serializable || PlantedBugs.StaleReads)
        {
            return Task.CompletedTask;
        }

        ThrowIfLearner();
        return Host.ReadBarrierAsync(cancellationToken);
    }
}
