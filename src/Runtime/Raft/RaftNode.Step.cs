namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>Handles one message from a peer.</summary>
    public void Step(Message m)
    {
        if (m.To != Id || !Accepts(m))
        {
            return;
        }
        if (m.Term > Term)
        {
            var isVoteRequest = m.Type is MessageType.Vote or MessageType.PreVote;
            // Lease: while we hear from a live leader, a disruptive candidate cannot force a new term; a transfer
            // campaign is the leader's own wish, so it may.
            if (isVoteRequest && !m.Transfer && _config.CheckQuorum && Leader != None && _electionElapsed < _config.ElectionTicks)
            {
                return;
            }
            if (m.Type == MessageType.PreVote || (m.Type == MessageType.PreVoteResponse && !m.Reject))
            {
                // Pre-votes are about a future term; they must not change ours.
            }
            else
            {
                var leader = m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot ? m.From : None;
                BecomeFollower(m.Term, leader);
            }
        }
        else if (m.Term < Term)
        {
            if ((_config.CheckQuorum || _config.PreVote) && m.Type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot)
            {
                // Tell a stale leader about the newer term, or a partitioned member could never rejoin.
                Send(new Message(MessageType.AppendResponse, Id, m.From, Term));
            }
            else if (m.Type is MessageType.PreVote or MessageType.Vote)
            {
                // Refuse with our term, as the paper's RequestVote reply does: a candidate that lags behind terms raised
                // by others (say a removed member that still campaigns) catches up instead of never winning.
                var type = m.Type == MessageType.Vote ? MessageType.VoteResponse : MessageType.PreVoteResponse;
                Send(new Message(type, Id, m.From, Term) { Reject = true });
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

    /// <summary>
    /// Membership views lag: a member learns a change only when it applies it. So leader traffic and elections are
    /// accepted from anyone (a new learner hears from the leader before it knows it is a member; a member that has not
    /// applied its own promotion must still vote for the voters that did). Safety does not depend on this filter: a
    /// candidate counts only its own voters, a leader only its own members. Reads are served to members only.
    /// </summary>
    private bool Accepts(Message m) => m.Type != MessageType.ReadIndex || _confState.Contains(m.From);

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
        AbortTransfer();
        DropPendingReads();
    }
}
