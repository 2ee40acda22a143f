namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>
    /// Whether <see cref="Compact"/> at <paramref name="index"/> would make a new snapshot: the index is applied and
    /// beyond the current snapshot, the member has applied a snapshot of its own (it is not still joining), and no
    /// configuration change was applied after it. A host that encoded its state at <paramref name="index"/> while
    /// the loop went on asks this before compacting, and drops a capture that has gone stale.
    /// </summary>
    public bool CanCompact(ulong index) =>
        index <= _log.Applied
        && _log.Snapshot is { } current
        && index > current.Index
        && !_log.Slice(index + 1, _log.Applied, int.MaxValue).Any(e => e.Type == EntryType.ConfChange);

    /// <summary>
    /// Compacts the log after the host has applied through <paramref name="index"/> and captured its state machine as
    /// <paramref name="data"/>. Returns the snapshot to persist (with the membership at that index); the host then may
    /// drop stored entries up to <c>Index - RaftConfig.CompactionKeepEntries</c>. The member keeps the snapshot to send to
    /// followers that need compacted entries. An index at or below the current snapshot returns the current one.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is beyond <see cref="Applied"/>.</exception>
    /// <exception cref="InvalidOperationException">A configuration change was applied after <paramref name="index"/>, so the membership at it is unknown (compact at the applied index instead), or the member is still joining.</exception>
    public Snapshot Compact(ulong index, byte[] data)
    {
        if (index > _log.Applied)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"cannot compact beyond the applied index {_log.Applied}");
        }
        if (_log.Snapshot is not { } current)
        {
            // A joining member has applied nothing: a snapshot now would claim an empty membership.
            throw new InvalidOperationException("this member is still joining and has applied nothing to snapshot");
        }
        if (index <= current.Index)
        {
            return current;
        }
        if (_log.Slice(index + 1, _log.Applied, int.MaxValue).Any(e => e.Type == EntryType.ConfChange))
        {
            throw new InvalidOperationException($"a configuration change was applied after index {index}; compact at the applied index {_log.Applied}");
        }
        var snapshot = new Snapshot(index, _log.Term(index), _confState, data);
        _log.Compact(snapshot, _config.CompactionKeepEntries);
        return snapshot;
    }

    /// <summary>
    /// The host reports whether the snapshot it was sending to <paramref name="id"/> was delivered (leader only;
    /// otherwise ignored). The host must report either outcome: until it does, or the follower acknowledges, the
    /// leader sends that follower nothing but heartbeats. On failure the leader probes again and resends a snapshot if
    /// still needed.
    /// </summary>
    public void ReportSnapshot(ulong id, bool ok)
    {
        if (Role != RaftRole.Leader || !_progress.TryGetValue(id, out var pr) || pr.State != ProgressState.Snapshot)
        {
            return;
        }
        if (ok)
        {
            pr.BecomeProbe();
        }
        else
        {
            pr.SnapshotFailed();
        }
        // Wait for the next heartbeat answer before probing, as the follower may be slow or away.
        pr.ProbeSent = true;
    }

    /// <summary>The host reports that a message to <paramref name="id"/> could not be delivered: stop streaming to it and probe.</summary>
    public void ReportUnreachable(ulong id)
    {
        if (Role == RaftRole.Leader && _progress.TryGetValue(id, out var pr) && pr.State == ProgressState.Replicate)
        {
            pr.BecomeProbe();
        }
    }

    private void SendSnapshot(ulong to, Progress pr)
    {
        // Only a member still joining has no snapshot, and it never leads.
        if (_log.Snapshot is not { } snapshot)
        {
            return;
        }
        Send(new Message(MessageType.Snapshot, Id, to, Term) { Snapshot = snapshot });
        pr.BecomeSnapshot(snapshot.Index);
    }

    private void HandleSnapshot(Message m)
    {
        if (m.Snapshot is not { } snapshot)
        {
            return;
        }
        var joining = _log.Snapshot is null;
        if (!joining && snapshot.Index <= _log.Committed)
        {
            Send(new Message(MessageType.AppendResponse, Id, m.From, Term) { Index = _log.Committed });
            return;
        }
        if (!joining && _log.MatchTerm(snapshot.Index, snapshot.Term))
        {
            // We already hold the log the snapshot covers: commit through it rather than discard entries.
            _log.CommitTo(snapshot.Index);
            Send(new Message(MessageType.AppendResponse, Id, m.From, Term) { Index = snapshot.Index });
            return;
        }
        _log.Restore(snapshot);
        _confState = snapshot.ConfState;
        Send(new Message(MessageType.AppendResponse, Id, m.From, Term) { Index = snapshot.Index });
    }
}
