using K3sLab.Raft;
using K3sLab.Scenarios.Simulation.Scripted;

namespace K3sLab.Scenarios.Simulation;

/// <summary>A scripted scenario's probe writer, the forwarding of pinned clients' writes, and the acknowledgements the expectations watch.</summary>
internal sealed partial class ClusterSimulator
{
    /// <summary>Called for every acknowledged write of the workload or the probe (see <see cref="Complete"/>).</summary>
    private void OnWriteAcknowledged(ulong member, long sent, string what, bool probe)
    {
        if (probe)
        {
            _probeAcked = _now;
        }
        else
        {
            _writeAcks.Add((_now, member));
        }

        // Only a write sent within the window counts: one committed before it may still be answered in it.
        if (_refusedStep is not null && sent >= _refusedSince && (_refusedVia == 0 || _refusedVia == member))
        {
            throw new SafetyViolationException($"{_refusedStep}: member {member} acknowledged {what}, sent at {ScenarioPlan.Seconds(sent):0.0} s, at {ScenarioPlan.Seconds(_now):0.0} s");
        }
    }

    /// <summary>
    /// A pinned client's write at a follower: the follower hands it to the leader it follows when the link both ways
    /// is up (the store's Forward RPC), and the client's answer comes from the follower's own apply of that index.
    /// Returns the leader's index, or null when there is no reachable leader (the write is refused).
    /// </summary>
    private ulong? ForwardToLeader(SimulatedMember member, KvCommand command)
    {
        var leaderId = member.Node!.Leader;
        if (leaderId == RaftNode.None || leaderId == member.Id || _network.IsCut(member.Id, leaderId) || _network.IsCut(leaderId, member.Id))
        {
            return null;
        }

        var leader = _members[(int)leaderId - 1];
        return leader is { IsUp: true, Node: { Role: RaftRole.Leader } node } ? node.Propose(command.Encode())?.Index : null;
    }

    /// <summary>
    /// Starts the probe: one sequential writer of the key <c>probe</c>, as the chaos runner's probe requests, through
    /// <paramref name="via"/> (a member, which forwards to its leader) or, for 0, to whichever member leads.
    /// </summary>
    private void StartProbe(ulong via)
    {
        _probe ??= new SimulatedClient(_mix.Clients + 1, 1);
        _probe.Pinned = via;
        _probe.LeaderGuess = via != 0 ? via : _probe.LeaderGuess;
        _probeRoundRobin = via == 0;
        _probeOn = true;
    }

    private void TickProbe(SimulatedClient probe)
    {
        if (probe.Pending is null && _probeOn && !_healing && _probeRoundRobin && _now >= probe.NextTick)
        {
            // Through the load balancer each new request lands on the next server, which forwards it to its leader.
            _probeNext = _probeNext % (ulong)Plan!.Members + 1;
            probe.Pinned = _probeNext;
            probe.LeaderGuess = _probeNext;
        }

        if (probe.Pending is not null || (_probeOn && !_healing))
        {
            TickClient(probe, tombstone: false);
        }
    }
}
