namespace K3sLab.Raft;

public sealed partial class RaftNode
{
    /// <summary>
    /// The host has evidence that <paramref name="member"/>'s process is gone, not merely slow or cut off: its stream
    /// to this member broke and its peer port now refuses connections, as a kernel answers for a process that died. (A
    /// partition or a machine that lost power gives no such answer; the ordinary election timeout notices those.)
    /// A follower of that leader stops counting on it: it forgets the leader, so its lease no longer refuses other
    /// members' (pre-)votes, and a voter campaigns after a short delay instead of a whole randomized election timeout:
    /// 1 + 2 × rank + (0 or 1) ticks, where rank counts the surviving voters with a lower id (never more than an
    /// election timeout). Followers that saw the same death at the same moment would split the vote if they campaigned
    /// together; staggered by id, the first usually wins before the next starts, and the random tick keeps a member
    /// from always being exactly first. Every other member (a leader, a candidate, a follower of someone else) ignores
    /// the report. Safety never rests on it: a wrong report costs at most one election.
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
            var rank = _confState.Voters.Count(v => v != member && v < Id);
            _electionElapsed = 0;
            _randomizedElectionTimeout = Math.Min(_config.ElectionTicks, 1 + (2 * rank) + _random.Next(2));
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
