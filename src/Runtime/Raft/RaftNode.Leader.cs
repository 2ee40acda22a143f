namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    private void BecomeLeader()
    {
        Role = RaftRole.Leader;
        Leader = Id;
        ResetTimers();
        AbortTransfer();
        _progress.Clear();
        foreach (var member in _confState.Members)
        {
            _progress[member] = new Progress(_log.LastIndex + 1) { RecentActive = true };
        }
        if (_progress.TryGetValue(Id, out var self))
        {
            self.MaybeUpdate(_log.Stabled);
            self.BecomeReplicate();
        }
        // The log may hold configuration changes not applied yet: treat them as pending (single-step rule).
        _pendingConfIndex = _log.LastIndex;
        // An entry of the new term: earlier-term entries only commit through it (Raft paper §5.4.2).
        _log.Append(new Entry(_log.LastIndex + 1, Term, []));
        BroadcastAppend();
    }

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        TickTransfer();
        if (_electionElapsed >= _config.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum)
            {
                var active = _confState.Voters.Count(v => v == Id || (_progress.TryGetValue(v, out var p) && p.RecentActive));
                if (active < Quorum)
                {
                    BecomeFollower(Term, None);
                    return;
                }
                foreach (var peer in Peers)
                {
                    _progress[peer].RecentActive = false;
                }
            }
        }
        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat([]);
        }
    }

    private void BroadcastHeartbeat(byte[] context)
    {
        foreach (var peer in Peers)
        {
            Send(new Message(MessageType.Heartbeat, Id, peer, Term) { Commit = Math.Min(_progress[peer].Match, _log.Committed), Context = context });
        }
    }

    private void StepLeader(Message m)
    {
        if (!_progress.TryGetValue(m.From, out var pr))
        {
            return;
        }
        switch (m.Type)
        {
            case MessageType.AppendResponse:
                pr.RecentActive = true;
                OnAppendResponse(m, pr);
                break;
            case MessageType.HeartbeatResponse:
                pr.RecentActive = true;
                pr.OnHeartbeatResponse();
                if (m.Context.Length > 0)
                {
                    OnReadAck(m);
                }
                if (pr.Match < _log.LastIndex)
                {
                    SendAppend(m.From);
                }
                break;
            case MessageType.ReadIndex:
                HandleReadRequest(m.From, m.Context);
                break;
            default:
                break;
        }
    }

    private void OnAppendResponse(Message m, Progress pr)
    {
        if (m.Reject)
        {
            if (m.Index == 0 && pr.State != ProgressState.Snapshot)
            {
                // Only a member still joining refuses index 0: it needs the membership a snapshot carries.
                SendSnapshot(m.From, pr);
            }
            else if (pr.MaybeDecrease(m.Index, m.RejectHint))
            {
                SendAppend(m.From);
            }
            return;
        }
        var wasPaused = pr.IsPaused(_config.MaxInflight);
        var updated = pr.MaybeUpdate(m.Index);
        var snapshotDone = pr.State == ProgressState.Snapshot && pr.Match >= pr.PendingSnapshot;
        if (!updated && !snapshotDone)
        {
            return;
        }
        if (pr.State == ProgressState.Probe || snapshotDone)
        {
            pr.BecomeReplicate();
        }
        if (MaybeCommit())
        {
            BroadcastCommit();
        }
        else if (wasPaused || pr.Next <= _log.LastIndex)
        {
            // Entries are worth a message, and so is a follower that was paused, which missed the commit index of
            // earlier broadcasts. Otherwise the follower already has the commit index: an empty append for every
            // acknowledgement would cost a message and its answer per entry for nothing (etcd-io/raft sends none).
            SendAppend(m.From);
        }
        if (m.From == _leadTransferee && pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(m.From);
        }
    }

    private void BroadcastAppend()
    {
        foreach (var peer in Peers)
        {
            SendAppend(peer);
        }
    }

    /// <summary>The commit index moved: every follower hears of it at once (followers apply, and serve watches, from it).</summary>
    private void BroadcastCommit()
    {
        foreach (var peer in Peers)
        {
            SendAppend(peer, commitBroadcast: true);
        }
    }

    /// <summary>
    /// Sends <paramref name="to"/> the entries it lacks, or an empty append with the commit index. An empty one is
    /// commit-only (not answered when accepted) when its answer could tell nothing new: the follower acknowledged the
    /// whole log, or this is a commit broadcast and the entries it lacks are in flight, their acknowledgement due.
    /// A lost acknowledgement is still recovered: the heartbeat answer then sends an append that is answered.
    /// </summary>
    private void SendAppend(ulong to, bool commitBroadcast = false)
    {
        var pr = _progress[to];
        if (pr.IsPaused(_config.MaxInflight))
        {
            return;
        }
        var prev = pr.Next - 1;
        if (prev < _log.Offset)
        {
            // The entries this follower needs were compacted away.
            SendSnapshot(to, pr);
            return;
        }
        var entries = _log.Slice(pr.Next, _log.LastIndex, _config.MaxEntriesPerMessage);
        Send(new Message(MessageType.Append, Id, to, Term)
        {
            Index = prev,
            LogTerm = _log.Term(prev),
            Entries = entries,
            Commit = _log.Committed,
            CommitOnly = entries.Count == 0 && pr.State == ProgressState.Replicate && (pr.Match == _log.LastIndex || commitBroadcast),
        });
        pr.Sent(entries.Count == 0 ? prev : entries[^1].Index);
    }

    /// <summary>Commits the highest index a quorum of voters holds, but only directly for entries of the current term.</summary>
    private bool MaybeCommit()
    {
        if (_confState.Voters.Count == 0)
        {
            return false;
        }
        var matches = _confState.Voters.Select(v => _progress.TryGetValue(v, out var p) ? p.Match : 0).OrderDescending().ToArray();
        var quorumIndex = _config.CommitWithoutQuorum && _progress.TryGetValue(Id, out var self) ? self.Match : matches[Quorum - 1];
        if (quorumIndex > _log.Committed && _log.Term(quorumIndex) == Term)
        {
            _log.CommitTo(quorumIndex);
            ReleaseReadsAwaitingCommit();
            return true;
        }
        return false;
    }
}
