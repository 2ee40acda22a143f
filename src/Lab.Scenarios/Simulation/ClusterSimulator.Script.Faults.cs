using K3sLab.Scenarios.Chaos.Definitions;

namespace K3sLab.Scenarios.Simulation;

/// <summary>A scripted scenario's node faults: power loss in the middle of a Ready, clean stops, and the deferred death reports a transport gives.</summary>
internal sealed partial class ClusterSimulator
{
    private string? NodeFault(NodeStep step)
    {
        var id = Bind(step.As, Resolve(step.Target, step));
        if (id == 0)
        {
            return "not a datastore member";
        }

        var member = _members[(int)id - 1];
        switch (step.Action)
        {
            case NodeAction.Kill when member.IsUp:
                // SIGKILL lands anywhere, including between a WAL write and its fsync: the member dies while it
                // handles its next Ready (or at the end of the tick), and the power loss drops what was not synced.
                _scriptedKills.Add(id);
                _crashAt[id] = (CrashPoint)(1 + _faultRandom.Next(6));
                Step();
                if (member.Status != MemberStatus.Down)
                {
                    _scriptedKills.Remove(id);
                    _crashAt[id] = CrashPoint.None;
                    ScriptCrash(member, powerLoss: true);
                }

                break;
            case NodeAction.Kill when member.Status == MemberStatus.Paused:
                ScriptCrash(member, powerLoss: true);
                break;
            case NodeAction.Stop when member.Status != MemberStatus.Down:
                ScriptCrash(member, powerLoss: false);
                break;
            case NodeAction.Restart:
                if (member.Status != MemberStatus.Down)
                {
                    ScriptCrash(member, powerLoss: false);
                }

                StartMember(member);
                break;
            case NodeAction.Start when member.Status == MemberStatus.Down:
                StartMember(member);
                break;
            case NodeAction.Pause when member.IsUp:
                member.Pause(long.MaxValue);
                _pauses++;
                _trace.Event(_now, $"member {id} paused");
                break;
            case NodeAction.Unpause when member.Status == MemberStatus.Paused:
                ResumeMember(member);
                break;
            default:
                break;
        }

        return null;
    }

    private void ScriptCrash(SimulatedMember member, bool powerLoss)
    {
        var unsynced = member.Disk.Length - member.Disk.SyncedLength;
        var kept = member.Crash(powerLoss, _faultRandom, _mix.TornChance);
        member.UntilTick = long.MaxValue;
        _crashes++;
        _powerLosses += powerLoss ? 1 : 0;
        _trace.Event(_now, $"member {member.Id} {(powerLoss ? $"loses power ({unsynced} unsynced bytes, {kept} kept)" : "stops")}");
        CountUnsyncedLoss(powerLoss, unsynced, kept);
        OnMemberGone(member);
        // A killed container's sockets still close (the kernel sends FIN/RST), so its peers' transports notice.
        ReportProcessDeath(member);
    }

    private void DeliverDeathReports()
    {
        for (var i = 0; i < _deathReports.Count; i++)
        {
            var (due, id, incarnation) = _deathReports[i];
            if (due > _now)
            {
                continue;
            }

            _deathReports.RemoveAt(i--);
            var dead = _members[(int)id - 1];
            if (dead.Status == MemberStatus.Down && dead.Incarnation == incarnation)
            {
                TellPeersOfDeath(dead);
            }
        }
    }
}
