namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    private ulong _leadTransferee;
    private int _transferElapsed;

    /// <summary>The voter leadership is being handed to, or <see cref="None"/>.</summary>
    public ulong LeadTransferee => _leadTransferee;

    /// <summary>
    /// Hands leadership to voter <paramref name="to"/> (leader only): proposals are refused meanwhile, the target is
    /// caught up, then told to campaign at once. The transfer is abandoned after an election timeout. Returns false when
    /// this member is not the leader or <paramref name="to"/> is not another voter.
    /// </summary>
    public bool TransferLeadership(ulong to)
    {
        if (Role != RaftRole.Leader || to == Id || !_confState.IsVoter(to) || !_progress.TryGetValue(to, out var pr))
        {
            return false;
        }
        if (_leadTransferee == to)
        {
            return true;
        }
        _leadTransferee = to;
        _transferElapsed = 0;
        if (pr.Match == _log.LastIndex)
        {
            SendTimeoutNow(to);
        }
        else
        {
            SendAppend(to);
        }
        return true;
    }

    private void TickTransfer()
    {
        if (_leadTransferee != None && ++_transferElapsed >= _config.ElectionTicks)
        {
            AbortTransfer();
        }
    }

    private void AbortTransfer()
    {
        _leadTransferee = None;
        _transferElapsed = 0;
    }

    private void SendTimeoutNow(ulong to) => Send(new Message(MessageType.TimeoutNow, Id, to, Term));
}
