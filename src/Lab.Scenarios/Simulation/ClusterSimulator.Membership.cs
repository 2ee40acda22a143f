using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

internal sealed partial class ClusterSimulator
{
    private readonly List<SimulatedMember> _toStop = [];
    private int _confChanges;
    private int _transfers;

    /// <summary>
    /// Proposes the next single-step membership change on the leader, chosen from its applied membership: add a
    /// provisioned member that is not in yet as a learner, promote a learner (the core refuses until it is caught up),
    /// remove a voter only while more than three vote, or start a spare id with a fresh disk and
    /// <see cref="ConfState.Empty"/>. Adding then removing replaces a member; ids are never reused. While healing it
    /// only completes joins and promotions, so the final membership has every live member and at least three voters.
    /// </summary>
    private void DriveMembership(bool healing)
    {
        var leaderId = CurrentLeader();
        if (leaderId == 0)
        {
            return;
        }
        var r = _faultRandom;
        var node = _members[(int)leaderId - 1].Node!;
        var conf = node.ConfState;
        var joiner = Live().FirstOrDefault(m => !conf.Contains(m.Id));
        ConfChange? change = null;
        if (joiner is not null)
        {
            change = new ConfChange(ConfChangeType.AddLearner, joiner.Id, []);
        }
        else if (conf.Learners.Count > 0)
        {
            var learner = conf.Learners[r.Next(conf.Learners.Count)];
            // Now and then a learner is removed before it is promoted.
            change = !healing && r.Next(6) == 0 ? new ConfChange(ConfChangeType.RemoveNode, learner, []) : new ConfChange(ConfChangeType.PromoteLearner, learner, []);
        }
        else if (healing)
        {
            return;
        }
        else if (conf.Voters.Count > 3 && r.Next(2) == 0)
        {
            change = new ConfChange(ConfChangeType.RemoveNode, conf.Voters[r.Next(conf.Voters.Count)], []);
        }
        else if (_members.FirstOrDefault(m => !m.Provisioned) is { } spare)
        {
            spare.Provisioned = true;
            spare.UntilTick = 0;
            StartMember(spare);
            _trace.Event(_now, $"member {spare.Id} starts with a fresh disk to join the cluster");
            change = new ConfChange(ConfChangeType.AddLearner, spare.Id, []);
        }
        if (change is null)
        {
            return;
        }
        var result = node.ProposeConfChange(change);
        _trace.Event(_now, $"leader {leaderId}: propose {change}: {(result.Refusal is { } why ? "refused, " + why : $"at index {result.Index}")}");
    }

    void IMemberHost.OnConfChangeApplied(SimulatedMember member, Entry entry, ConfChange change, ConfState confState)
    {
        if (change.Type == ConfChangeType.RemoveNode && _members[(int)change.NodeId - 1] is { Removed: false } removed)
        {
            // Committed: the removed member's process is shut down for good (after this Ready; it may be the one applying).
            removed.Removed = true;
            _toStop.Add(removed);
        }
        if (member.Id == CurrentLeader())
        {
            _confChanges++;
            _trace.Event(_now, $"member {member.Id} applies {change} at {entry.Index}: {confState}");
        }
    }

    private void StopRemovedMembers()
    {
        foreach (var m in _toStop)
        {
            if (m.Status != MemberStatus.Down)
            {
                m.Crash(powerLoss: false, _faultRandom, 0);
                OnMemberGone(m);
            }
            m.UntilTick = long.MaxValue;
            _trace.Event(_now, $"member {m.Id} removed: stopped for good");
            if (_isolated == m.Id)
            {
                EndIsolation("it was removed");
            }
        }
        _toStop.Clear();
    }

    /// <summary>The leader is asked to hand leadership to a random other voter.</summary>
    private void InjectTransfer()
    {
        var r = _faultRandom;
        if (_mix.TransferRate <= 0 || r.NextDouble() >= _mix.TransferRate)
        {
            return;
        }
        var leaderId = CurrentLeader();
        if (leaderId == 0)
        {
            return;
        }
        var node = _members[(int)leaderId - 1].Node!;
        var targets = node.ConfState.Voters.Where(v => v != leaderId).ToList();
        if (targets.Count == 0)
        {
            return;
        }
        var target = targets[r.Next(targets.Count)];
        var accepted = node.TransferLeadership(target);
        _transfers += accepted ? 1 : 0;
        _trace.Event(_now, $"leader {leaderId}: transfer leadership to {target}{(accepted ? "" : " refused")}");
    }
}
