namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>Handles one message from a peer.</summary>
    public void Step(Message m)
    {
        if (m.To != Id || !_peers.Contains(m.From))
        {
            return;
        }
        if (m.Term > Term)
        {
            var isVoteRequest = m.Type is MessageType.Vote or MessageType.PreVote;
            // Lease: while we hear from a live leader, a disruptive candidate cannot force a new term.
            if (isVoteRequest && _config.CheckQuorum && Leader != None && _electionElapsed < _config.ElectionTicks)
            {
                return;
            }
            if (m.Type == MessageType.PreVote || (m.Type == MessageType.PreVoteResponse && !m.Reject))
            {
                // Pre-votes are about a future term; they must not change ours.
            }
            else
            {
                var leader = m.Type is MessageType.Append or MessageType.Heartbeat ? m.From : None;
                BecomeFollower(m.Term, leader);
            }
        }
        else if (m.Term < Term)
        {
            if ((_config.CheckQuorum || _config.PreVote) && m.Type is MessageType.Append or MessageType.Heartbeat)
            {
                // Tell a stale leader about the newer term, or a partitioned member could never rejoin.
                Send(new Message(MessageType.AppendResponse, Id, m.From, Term));
            }
            else if (m.Type == MessageType.PreVote)
            {
                Send(new Message(MessageType.PreVoteResponse, Id, m.From, Term) { Reject = true });
            }
            return;
        }

        switch (m.Type)
        {
            case MessageType.Vote or MessageType.PreVote:
                HandleVoteRequest(m);
                return;
            default:
                break;
        }

        switch (Role)
        {
            case RaftRole.Leader:
                StepLeader(m);
                break;
            case RaftRole.Candidate or RaftRole.PreCandidate:
                StepCandidate(m);
                break;
            default:
                StepFollower(m);
                break;
        }
    }

    private void HandleVoteRequest(Message m)
    {
        var pre = m.Type == MessageType.PreVote;
        var canVote = Vote == m.From || (Vote == None && Leader == None) || (pre && m.Term > Term);
        var responseType = pre ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            // A pre-vote grant answers in the requested term so the pre-candidate can tell it from stale replies.
            Send(new Message(responseType, Id, m.From, m.Term));
            if (!pre)
            {
                _electionElapsed = 0;
                Vote = m.From;
            }
        }
        else
        {
            Send(new Message(responseType, Id, m.From, Term) { Reject = true });
        }
    }

    private void BecomeFollower(ulong term, ulong leader)
    {
        if (term != Term)
        {
            Term = term;
            Vote = None;
        }
        Role = RaftRole.Follower;
        Leader = leader;
        ResetTimers();
    }
}
