namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    private void StepFollower(Message m)
    {
        switch (m.Type)
        {
            case MessageType.Append:
                HeardFromLeader(m.From);
                HandleAppend(m);
                break;
            case MessageType.Heartbeat:
                HeardFromLeader(m.From);
                // The leader only sends a commit index this member is known to hold.
                _log.CommitTo(Math.Min(m.Commit, _log.LastIndex));
                Send(new Message(MessageType.HeartbeatResponse, Id, m.From, Term) { Context = m.Context });
                break;
            case MessageType.Snapshot:
                HeardFromLeader(m.From);
                HandleSnapshot(m);
                break;
            case MessageType.TimeoutNow when IsVoter:
                // The leader hands over: campaign at once, skipping pre-vote, and override the voters' lease.
                Campaign(pre: false, transfer: true);
                break;
            case MessageType.ReadIndexResponse:
                _readStates.Add(new ReadState(m.Index, m.Context));
                break;
            default:
                break;
        }
    }

    private void HandleAppend(Message m)
    {
        if (_log.Snapshot is null)
        {
            // Still joining: without a snapshot this member knows neither its log base nor its membership. Refusing
            // index 0, which no member with a log can refuse, asks the leader for a snapshot.
            Send(new Message(MessageType.AppendResponse, Id, m.From, Term) { Index = 0, Reject = true });
            return;
        }
        if (m.Index < _log.Committed)
        {
            Send(new Message(MessageType.AppendResponse, Id, m.From, Term) { Index = _log.Committed });
            return;
        }
        if (!_log.MatchTerm(m.Index, m.LogTerm))
        {
            Send(new Message(MessageType.AppendResponse, Id, m.From, Term) { Index = m.Index, Reject = true, RejectHint = _log.LastIndex });
            return;
        }
        var lastNew = _log.AppendAfter(m.Index, m.Entries);
        _log.CommitTo(Math.Min(m.Commit, lastNew));
        if (m.CommitOnly && m.Entries.Count == 0)
        {
            // The leader already knows this member holds its whole log; a refusal above is still answered.
            return;
        }
        Send(new Message(MessageType.AppendResponse, Id, m.From, Term) { Index = lastNew });
    }
}
