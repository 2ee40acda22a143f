namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    private void Campaign(bool pre)
    {
        _votes.Clear();
        Leader = None;
        ulong term;
        MessageType type;
        if (pre)
        {
            Role = RaftRole.PreCandidate;
            term = Term + 1;
            type = MessageType.PreVote;
        }
        else
        {
            Role = RaftRole.Candidate;
            Term++;
            Vote = Id;
            term = Term;
            type = MessageType.Vote;
        }
        ResetTimers();
        _votes[Id] = true;
        if (TallyWon())
        {
            OnElectionWon(pre);
            return;
        }
        foreach (var peer in _peers)
        {
            Send(new Message(type, Id, peer, term) { Index = _log.LastIndex, LogTerm = _log.LastTerm });
        }
    }

    private void StepCandidate(Message m)
    {
        var pre = Role == RaftRole.PreCandidate;
        switch (m.Type)
        {
            case MessageType.Append:
                BecomeFollower(m.Term, m.From);
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                BecomeFollower(m.Term, m.From);
                StepFollower(m);
                break;
            case MessageType.PreVoteResponse when pre:
            case MessageType.VoteResponse when !pre:
                _votes.TryAdd(m.From, !m.Reject);
                if (TallyWon())
                {
                    OnElectionWon(pre);
                }
                else if (_votes.Values.Count(v => !v) >= Quorum)
                {
                    BecomeFollower(Term, None);
                }
                break;
            default:
                break;
        }
    }

    private bool TallyWon() => _votes.Values.Count(v => v) >= Quorum;

    private void OnElectionWon(bool pre)
    {
        if (pre)
        {
            Campaign(pre: false);
        }
        else
        {
            BecomeLeader();
        }
    }
}
