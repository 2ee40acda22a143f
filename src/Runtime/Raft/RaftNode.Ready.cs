namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>True when <see cref="TakeReady"/> would return a non-empty value.</summary>
    public bool HasReady => _outbox.Count > 0 || _log.Stabled < _log.LastIndex || _log.HasNextCommitted
        || CurrentHardState != _lastHardState || _log.PendingSnapshot is not null || _readStates.Count > 0 || SoftState != _lastSoftState;

    private HardState CurrentHardState => new(Term, Vote, _log.Committed);

    /// <summary>Collects the work the host must do; see <see cref="Ready"/> for the ordering contract.</summary>
    public Ready TakeReady()
    {
        var hs = CurrentHardState;
        var ss = SoftState;
        var ready = new Ready(hs == _lastHardState ? null : hs, _log.Unstable(), [.. _outbox], _log.NextCommitted())
        {
            Snapshot = _log.PendingSnapshot,
            ReadStates = [.. _readStates],
            SoftState = ss == _lastSoftState ? null : ss,
        };
        _outbox.Clear();
        _readStates.Clear();
        _lastSoftState = ss;
        return ready;
    }

    /// <summary>Tells the member that <paramref name="ready"/> has been persisted, sent and applied.</summary>
    public void Advance(Ready ready)
    {
        if (ready.HardState is { } hs)
        {
            _lastHardState = hs;
        }
        if (ready.Snapshot is { } snapshot)
        {
            _log.SnapshotApplied(snapshot);
        }
        if (ready.Entries.Count > 0)
        {
            var last = ready.Entries[^1];
            // A later truncation may have replaced what this Ready carried; only count entries still in the log.
            if (_log.MatchTerm(last.Index, last.Term))
            {
                _log.Stabled = Math.Max(_log.Stabled, last.Index);
            }
        }
        if (ready.CommittedEntries.Count > 0)
        {
            _log.Applied = Math.Max(_log.Applied, ready.CommittedEntries[^1].Index);
        }
        if (Role == RaftRole.Leader && _progress.TryGetValue(Id, out var self) && self.MaybeUpdate(_log.Stabled) && MaybeCommit())
        {
            BroadcastCommit();
        }
    }
}
