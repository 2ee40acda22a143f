using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

internal sealed partial class ClusterSimulator
{
    private long _partitionUntil = -1;
    private int _lossesWithUnsynced;
    private long _unsyncedBytesLost;

    /// <summary>One tick of the safety phase's nemesis: partitions come and go, members crash, restart, pause, resume.</summary>
    private void InjectFaults()
    {
        var r = _faultRandom;
        if (_partitionUntil >= 0 && _now >= _partitionUntil)
        {
            _network.ClearCuts();
            _partitionUntil = -1;
            _trace.Event(_now, "partition healed");
        }
        else if (_partitionUntil < 0 && _mix.PartitionRate > 0 && r.NextDouble() < _mix.PartitionRate)
        {
            var kind = _mix.PartitionKinds[r.Next(_mix.PartitionKinds.Length)];
            var shape = NetworkPartition.Apply(_network, kind, _members.Count(m => m.Provisioned), CurrentLeader(), r);
            _partitionUntil = _now + 10 + r.Next(150);
            _partitions++;
            _trace.Event(_now, $"partition until {_partitionUntil}: {shape}");
        }

        if (_mix.CrashRate > 0 && r.NextDouble() < _mix.CrashRate)
        {
            var victim = RandomLiveMember(r);
            if (victim.Status != MemberStatus.Down && _crashAt[victim.Id] == CrashPoint.None)
            {
                if (victim.IsUp && r.NextDouble() < _mix.MidReadyCrashShare)
                {
                    // Crash while the next Ready is handled this tick (or at its end if there is none).
                    _crashAt[victim.Id] = (CrashPoint)(1 + r.Next(6));
                }
                else
                {
                    CrashMember(victim, "");
                }
            }
        }

        if (_mix.PauseRate > 0 && r.NextDouble() < _mix.PauseRate)
        {
            var victim = RandomLiveMember(r);
            if (victim.IsUp && _crashAt[victim.Id] == CrashPoint.None)
            {
                victim.Pause(_now + 5 + r.Next(60));
                _pauses++;
                _trace.Event(_now, $"member {victim.Id} paused until {victim.UntilTick} ({victim.Node!.Role}, term {victim.Node.Term})");
            }
        }

        InjectIsolation();
        InjectTransfer();
        if (_mix.MembershipRate > 0 && r.NextDouble() < _mix.MembershipRate)
        {
            DriveMembership(healing: false);
        }

        foreach (var m in _members)
        {
            if (m.Status == MemberStatus.Down && _now >= m.UntilTick)
            {
                StartMember(m);
            }
            else if (m.Status == MemberStatus.Paused && _now >= m.UntilTick)
            {
                ResumeMember(m);
            }
        }
    }

    private void CrashMember(SimulatedMember member, string how)
    {
        // A scripted kill is a power loss by definition; the random nemesis draws it.
        var scripted = _scriptedKills.Remove(member.Id);
        var powerLoss = scripted || _faultRandom.NextDouble() < _mix.PowerLossShare;
        var unsynced = member.Disk.Length - member.Disk.SyncedLength;
        var kept = member.Crash(powerLoss, _faultRandom, _mix.TornChance);
        member.UntilTick = _now + 1 + _faultRandom.Next(80);
        _crashes++;
        _powerLosses += powerLoss ? 1 : 0;
        _crashAt[member.Id] = CrashPoint.None;
        CountUnsyncedLoss(powerLoss, unsynced, kept);
        _trace.Event(_now, $"member {member.Id} {(powerLoss ? "loses power" : "crashes")}{(how.Length > 0 ? " " + how : "")}; down until {member.UntilTick}" +
            (powerLoss && unsynced > 0 ? $"; {unsynced} unsynced bytes, {kept} kept" : ""));
        OnMemberGone(member);
        if (!powerLoss || scripted)
        {
            ReportProcessDeath(member);
        }
    }

    private void CountUnsyncedLoss(bool powerLoss, long unsynced, long kept)
    {
        if (powerLoss && unsynced > kept)
        {
            _lossesWithUnsynced++;
            _unsyncedBytesLost += unsynced - kept;
        }
    }

    private void ResumeMember(SimulatedMember member)
    {
        member.Resume();
        _trace.Event(_now, $"member {member.Id} resumes with {member.HeldMessages.Count} stale messages");
        foreach (var m in member.HeldMessages)
        {
            member.Node!.Step(m);
        }
        member.HeldMessages.Clear();
        ProposeHeldRequests(member);
    }

    private ulong CurrentLeader()
    {
        ulong leader = 0, term = 0;
        foreach (var m in _members)
        {
            if (m.IsUp && m.Node!.Role == RaftRole.Leader && m.Node.Term >= term)
            {
                (leader, term) = (m.Id, m.Node.Term);
            }
        }
        return leader;
    }
}
