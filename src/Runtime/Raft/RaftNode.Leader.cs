namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    private void BecomeLeader()
    {
        Role = RaftRole.Leader;
        Leader = Id;
        ResetTimers();
        _progress.Clear();
        foreach (var member in _peers.Append(Id))
        {
            _progress[member] = new Progress(_log.LastIndex + 1) { RecentActive = true };
        }
        _progress[Id].MaybeUpdate(_log.Stabled);
        _progress[Id].BecomeReplicate();
        // An entry of the new term: earlier-term entries only commit through it (Raft paper §5.4.2).
        _log.Append(new Entry(_log.LastIndex + 1, Term, []));
        BroadcastAppend();
    }

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;
        if (_electionElapsed >= _config.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_config.CheckQuorum)
            {
                var active = _progress.Count(p => p.Key == Id || p.Value.RecentActive);
                if (active < Quorum)
                {
                    BecomeFollower(Term, None);
                    return;
                }
                foreach (var peer in _peers)
                {
                    _progress[peer].RecentActive = false;
                }
            }
        }
        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            foreach (var peer in _peers)
            {
                var pr = _progress[peer];
                Send(new Message(MessageType.Heartbeat, Id, peer, Term) { Commit = Math.Min(pr.Match, _log.Committed) });
            }
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
                if (m.Reject)
                {
                    if (pr.MaybeDecrease(m.Index, m.RejectHint))
                    {
                        SendAppend(m.From);
                    }
                }
                else if (pr.MaybeUpdate(m.Index))
                {
                    if (pr.State == ProgressState.Probe)
                    {
                        pr.BecomeReplicate();
                    }
                    if (MaybeCommit())
                    {
                        BroadcastAppend();
                    }
                    else
                    {
                        SendAppend(m.From);
                    }
                }
                break;
            case MessageType.HeartbeatResponse:
                pr.RecentActive = true;
                pr.OnHeartbeatResponse();
                if (pr.Match < _log.LastIndex)
                {
                    SendAppend(m.From);
                }
                break;
            default:
                break;
        }
    }

    private void BroadcastAppend()
    {
        foreach (var peer in _peers)
        {
            SendAppend(peer);
        }
    }

    private void SendAppend(ulong to)
    {
        var pr = _progress[to];
        if (pr.IsPaused(_config.MaxInflight))
        {
            return;
        }
        var prev = pr.Next - 1;
        var entries = _log.Slice(pr.Next, _log.LastIndex, _config.MaxEntriesPerMessage);
        Send(new Message(MessageType.Append, Id, to, Term)
        {
            Index = prev,
            LogTerm = _log.Term(prev),
            Entries = entries,
            Commit = _log.Committed,
        });
        pr.Sent(entries.Count == 0 ? prev : entries[^1].Index);
    }

    /// <summary>Commits the highest index a quorum holds, but only directly for entries of the current term.</summary>
    private bool MaybeCommit()
    {
        var matches = _progress.Values.Select(p => p.Match).OrderDescending().ToArray();
        var quorumIndex = matches[Quorum - 1];
        if (quorumIndex > _log.Committed && _log.Term(quorumIndex) == Term)
        {
            _log.CommitTo(quorumIndex);
            return true;
        }
        return false;
    }
}
