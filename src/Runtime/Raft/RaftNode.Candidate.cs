namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>Starts a pre-vote or a real election; <paramref name="transfer"/> marks a campaign a leader asked for.</summary>
    private void Campaign(bool pre, bool transfer = false)
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
        var electorate = _config.CountLearnerVotes ? _confState.Members : _confState.Voters;
        foreach (var voter in electorate.Where(v => v != Id))
        {
            Send(new Message(type, Id, voter, term) { Index = _log.LastIndex, LogTerm = _log.LastTerm, Transfer = transfer });
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
            case MessageType.Heartbeat or MessageType.Snapshot:
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
                else if (CountVotes(granted: false) >= Quorum)
                {
                    BecomeFollower(Term, None);
                }
                break;
            default:
                break;
        }
    }

    /// <summary>Counts answers from voters only: a learner's vote never decides an election.</summary>
    private int CountVotes(bool granted) => _votes.Count(v => v.Value == granted && (_confState.IsVoter(v.Key) || _config.CountLearnerVotes));

    private bool TallyWon() => CountVotes(granted: true) >= Quorum;

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
