using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// With <see cref="SimulationOptions.PeerDownReports"/>: what a host's transport tells its core when a peer's process
/// dies (<see cref="RaftNode.ReportPeerDown"/>). A crash that is not a power loss leaves the machine's kernel to refuse
/// connections, so every live member whose link from the dead one is up hears of it; a power loss or a cut link
/// gives no such answer. Now and then a report is wrong (the member is alive, say a port that refused for another
/// reason), which must cost at most an election. The reports' own randomness is separate from the seed's other
/// streams, so they change nothing but what the reports themselves cause.
/// </summary>
internal sealed partial class ClusterSimulator
{
    private const double WrongReportRate = 0.01;

    private Random? _reportRandom;
    private int _peerDownReports;
    private int _wrongPeerDownReports;

    private void ReportProcessDeath(SimulatedMember dead)
    {
        if (_options.Scenario is not null)
        {
            // As the host's transport sees it: the data the process sent before it died arrives first (TCP sends
            // its FIN after it), and the port probe that confirms the death takes a few hundred milliseconds.
            _deathReports.Add((_now + _mix.MaxDelay + 2, dead.Id, dead.Incarnation));
            return;
        }

        if (!_options.PeerDownReports)
        {
            return;
        }

        TellPeersOfDeath(dead);
    }

    private void TellPeersOfDeath(SimulatedMember dead)
    {
        foreach (var m in _members.Where(m => m.IsUp && m != dead && !_network.IsCut(dead.Id, m.Id)))
        {
            m.Node!.ReportPeerDown(dead.Id);
            _peerDownReports++;
        }

        _trace.Event(_now, $"member {dead.Id}'s death is reported to the members its link reaches");
    }

    /// <summary>Once per tick of the safety phase: perhaps a wrong report about a live member's leader.</summary>
    private void InjectWrongPeerDownReport()
    {
        if (!_options.PeerDownReports)
        {
            return;
        }

        _reportRandom ??= new Random(_options.Seed ^ 0x5EED);
        if (_reportRandom.NextDouble() >= WrongReportRate)
        {
            return;
        }

        var up = _members.Where(m => m.IsUp && m.Node!.Leader != RaftNode.None && m.Node.Leader != m.Id).ToList();
        if (up.Count == 0)
        {
            return;
        }

        var member = up[_reportRandom.Next(up.Count)];
        var leader = member.Node!.Leader;
        member.Node.ReportPeerDown(leader);
        _wrongPeerDownReports++;
        _trace.Event(_now, $"member {member.Id} is told, wrongly, that its leader {leader} died");
    }
}
