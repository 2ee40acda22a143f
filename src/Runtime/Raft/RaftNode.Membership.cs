namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>Index of the latest configuration change in the log; a new one waits until it is applied.</summary>
    private ulong _pendingConfIndex;

    /// <summary>
    /// Proposes a membership change (leader only). It takes effect on each member when the host applies the committed
    /// entry and calls <see cref="ApplyConfChange"/>. Refused, with the reason, when this member is not the leader, is
    /// transferring leadership, a previous change is not applied yet (one change at a time), the change does not fit the
    /// membership, or it promotes a learner whose log is more than <see cref="RaftConfig.MaxPromotionLag"/> entries behind.
    /// </summary>
    public ProposalResult ProposeConfChange(ConfChange change)
    {
        if (CheckConfChange(change) is { } refusal)
        {
            return ProposalResult.Refused(refusal);
        }
        var entry = new Entry(_log.LastIndex + 1, Term, change.Encode()) { Type = EntryType.ConfChange };
        _log.Append(entry);
        _pendingConfIndex = entry.Index;
        BroadcastAppend();
        return new ProposalResult(entry.Term, entry.Index, null);
    }

    /// <summary>
    /// Applies a committed configuration change (the host calls it while applying the entry, on every member) and
    /// returns the new membership for the host to persist. A leader starts or stops replicating to the member; a
    /// leader that is no longer a voter steps down. A member that is not a voter never campaigns.
    /// </summary>
    public ConfState ApplyConfChange(ConfChange change)
    {
        _confState = _confState.Apply(change);
        if (Role == RaftRole.Leader)
        {
            ReconcileProgress();
        }
        return _confState;
    }

    private void ReconcileProgress()
    {
        foreach (var member in _confState.Members.Where(m => !_progress.ContainsKey(m)))
        {
            _progress[member] = new Progress(_log.LastIndex + 1) { RecentActive = true };
        }
        foreach (var gone in _progress.Keys.Where(k => !_confState.Contains(k)).ToList())
        {
            _progress.Remove(gone);
        }
        if (_leadTransferee != None && !_confState.IsVoter(_leadTransferee))
        {
            AbortTransfer();
        }
        if (!IsVoter)
        {
            BecomeFollower(Term, None);
            return;
        }
        // Removing a voter shrinks the quorum, which may commit more; a new member gets its first probe.
        MaybeCommit();
        BroadcastAppend();
    }

    private string? CheckConfChange(ConfChange change)
    {
        if (Role != RaftRole.Leader)
        {
            return "not the leader";
        }
        if (_leadTransferee != None)
        {
            return $"leadership is being transferred to {_leadTransferee}";
        }
        if (_pendingConfIndex > _log.Applied)
        {
            return $"the configuration change at index {_pendingConfIndex} is not applied yet (applied {_log.Applied}); propose one change at a time";
        }
        var id = change.NodeId;
        if (id == None)
        {
            return "node id 0 is reserved";
        }
        return change.Type switch
        {
            ConfChangeType.AddVoter when _confState.IsLearner(id) => $"node {id} is a learner; promote it with {nameof(ConfChangeType.PromoteLearner)}",
            ConfChangeType.AddVoter or ConfChangeType.AddLearner when _confState.Contains(id) => $"node {id} is already a member",
            ConfChangeType.PromoteLearner when !_confState.IsLearner(id) => $"node {id} is not a learner",
            ConfChangeType.PromoteLearner when !IsCaughtUp(id) => $"can only promote a learner member which is in sync with leader (node {id} matches {_progress[id].Match}, leader's last index {_log.LastIndex})",
            ConfChangeType.RemoveNode when !_confState.Contains(id) => $"node {id} is not a member",
            ConfChangeType.RemoveNode when _confState.Voters.Count == 1 && _confState.IsVoter(id) => "cannot remove the last voter",
            _ => null,
        };
    }

    /// <summary>In sync: the leader streams to it (so it holds a snapshot and the membership) and it lags by little.</summary>
    private bool IsCaughtUp(ulong id) =>
        _progress.TryGetValue(id, out var pr) && pr.State == ProgressState.Replicate && pr.Match + (ulong)_config.MaxPromotionLag >= _log.LastIndex;
}
