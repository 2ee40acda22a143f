using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Watch;

namespace K3sLab.K3s.Replication;

internal sealed partial class ReplicatedStore
{
    void IReplicatedStateMachine.Apply(ulong index, EntryPayload payload)
    {
        var command = StoreCommandCodec.Decode(payload.Body.Span);
        CommandResult result;
        IReadOnlyList<StoredEvent> events;
        long revision;
        lock (_stateGate)
        {
            result = _state.Apply(command, out events);
            revision = _state.Revision;
        }

        if (events.Count > 0)
        {
            _hub.Publish(events, revision);
        }

        switch (result)
        {
            case LeaseGranted granted:
                _lessor.Granted(granted.Grant.Id, granted.Grant.Ttl);
                break;
            case LeaseRevoked when command is LeaseRevokeCommand revoke:
                _lessor.Revoked(revoke.Id);
                break;
            default:
                break;
        }

        if (payload.Origin == Host.MemberId && _waiters.TryRemove(payload.Request, out var waiter))
        {
            waiter.TrySetResult(result);
        }
    }

    StateSnapshot IReplicatedStateMachine.CaptureSnapshot()
    {
        MvccSnapshotView view;
        lock (_stateGate)
        {
            view = _state.CaptureSnapshot();
        }

        return new StateSnapshot(view.Length, view.WriteTo);
    }

    void IReplicatedStateMachine.Restore(Stream source)
    {
        var restored = source == Stream.Null ? new MvccState(_stateOptions) : MvccState.ReadSnapshot(source, _stateOptions);
        WatchHub old;
        lock (_stateGate)
        {
            _state = restored;
            old = _hub;
            // Watchers of the old state cannot be continued across a jump in history: they end and clients resume
            // from their last revision, which the new state serves or reports compacted.
            _hub = new WatchHub(this, restored.Revision, _logger);
        }

        _ = old.DisposeAsync().AsTask();
    }

    void IReplicatedStateMachine.LeaderChanged(ulong leader, bool isSelf)
    {
        if (isSelf)
        {
            List<(long, long)> leases;
            lock (_stateGate)
            {
                leases = [.. _state.LeaseIds().Select(id => (id, _state.LeaseTtl(id) ?? 0))];
            }

            _lessor.Promote(leases);
        }
        else
        {
            _lessor.Demote();
        }

        // Requests proposed through a leader that is gone may never commit; their callers time out with
        // etcd's "request timed out" rather than waiting forever.
    }
}
