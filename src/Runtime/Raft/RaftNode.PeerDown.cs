namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>
    /// The host has evidence that <paramref name="member"/>'s process is gone, not merely slow or cut off: its stream
    /// to this member broke and its peer port now refuses connections, as a kernel answers for a process that died. (A
    /// partition or a machine that lost power gives no such answer; the ordinary election timeout notices those.)
    /// A follower of that leader stops counting on it: it forgets the leader, so its lease no longer refuses other
    /// members' (pre-)votes, and a voter campaigns after 1 to <see cref="RaftConfig.ElectionTicks"/>/2 ticks instead of
    /// a whole randomized election timeout. The delay is random so that two followers that saw the same death at the
    /// same moment rarely split the vote. Every other member (a leader, a candidate, a follower of someone else)
    /// ignores the report. Safety never rests on it: a wrong report costs at most one election.
    /// </summary>
    public void ReportPeerDown(ulong member)
    {
        if (Role != RaftRole.Follower || member == None || Leader != member)
        {
            return;
        }
        Leader = None;
        if (IsVoter)
        {
            _electionElapsed = 0;
            _randomizedElectionTimeout = 1 + _random.Next(Math.Max(1, _config.ElectionTicks / 2));
        }
    }

    /// <summary>
    /// A leader was heard: its lease holds again. After a <see cref="ReportPeerDown"/> that proved wrong, the short
    /// campaign delay is replaced by a whole randomized election timeout, or this member would keep disrupting it.
    /// </summary>
    private void HeardFromLeader(ulong leader)
    {
        _electionElapsed = 0;
        Leader = leader;
        if (_randomizedElectionTimeout < _config.ElectionTicks)
        {
            _randomizedElectionTimeout = _config.ElectionTicks + _random.Next(_config.ElectionTicks);
        }
    }
}
