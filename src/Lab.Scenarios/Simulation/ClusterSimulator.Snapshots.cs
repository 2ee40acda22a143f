using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

internal sealed partial class ClusterSimulator
{
    private readonly List<Message> _snapshotsDelivered = [];
    private readonly List<(Message Message, bool Ok, int Incarnation)> _reports = [];
    private ulong _isolated;
    private long _isolatedSince;
    private int _isolations;

    /// <summary>
    /// The transport's feedback to leaders, as etcd's rafthttp gives it: a snapshot stream that completed or failed
    /// (<see cref="RaftNode.ReportSnapshot"/>) and a peer that cannot be reached (<see cref="RaftNode.ReportUnreachable"/>).
    /// Reports wait while the sender is paused and are dropped when it restarted (the new process has no such stream).
    /// </summary>
    private void DeliverReports()
    {
        foreach (var m in _network.Undeliverable)
        {
            _reports.Add((m, false, _members[(int)m.From - 1].Incarnation));
        }
        _network.Undeliverable.Clear();
        foreach (var m in _snapshotsDelivered)
        {
            _reports.Add((m, true, _members[(int)m.From - 1].Incarnation));
        }
        _snapshotsDelivered.Clear();
        var kept = 0;
        for (var i = 0; i < _reports.Count; i++)
        {
            var (m, ok, incarnation) = _reports[i];
            var sender = _members[(int)m.From - 1];
            if (sender.Incarnation != incarnation || sender.Status == MemberStatus.Down)
            {
                continue;
            }
            if (sender.Status == MemberStatus.Paused)
            {
                _reports[kept++] = (m, ok, incarnation);
                continue;
            }
            if (m.Type == MessageType.Snapshot)
            {
                sender.Node!.ReportSnapshot(m.To, ok);
            }
            else
            {
                sender.Node!.ReportUnreachable(m.To);
            }
        }
        _reports.RemoveRange(kept, _reports.Count - kept);
    }

    /// <summary>
    /// The "needs a snapshot" fault: a follower is cut off both ways until the leader's log starts after the follower's
    /// last entry (so only a snapshot can catch it up), or for at most 400 ticks.
    /// </summary>
    private void InjectIsolation()
    {
        var r = _faultRandom;
        if (_isolated != 0)
        {
            var member = _members[(int)_isolated - 1];
            var leader = CurrentLeader();
            var needsSnapshot = leader != 0 && leader != _isolated && member.Node is { } n && _members[(int)leader - 1].Node!.GetStatus().FirstIndex > n.LastIndex + 1;
            if (needsSnapshot || _now - _isolatedSince > 400 || !member.IsLive)
            {
                EndIsolation(needsSnapshot ? $"leader {leader} compacted past its log" : "time is up");
            }
            else
            {
                CutOff(_isolated, cut: true); // a healed partition must not end it early
            }
            return;
        }
        if (_mix.IsolateRate > 0 && r.NextDouble() < _mix.IsolateRate)
        {
            var leader = CurrentLeader();
            var candidates = Live().Where(m => m.IsUp && m.Id != leader).ToList();
            if (leader == 0 || candidates.Count == 0)
            {
                return;
            }
            var victim = candidates[r.Next(candidates.Count)];
            _isolated = victim.Id;
            _isolatedSince = _now;
            _isolations++;
            CutOff(_isolated, cut: true);
            _trace.Event(_now, $"member {victim.Id} cut off until it needs a snapshot (last index {victim.Node!.LastIndex})");
        }
    }

    private void EndIsolation(string why)
    {
        if (_isolated == 0)
        {
            return;
        }
        CutOff(_isolated, cut: false);
        _trace.Event(_now, $"member {_isolated} reconnected: {why}");
        _isolated = 0;
    }

    private void CutOff(ulong id, bool cut)
    {
        foreach (var other in _members)
        {
            if (other.Id == id)
            {
                continue;
            }
            if (cut)
            {
                _network.Cut(id, other.Id);
                _network.Cut(other.Id, id);
            }
            else
            {
                _network.Uncut(id, other.Id);
                _network.Uncut(other.Id, id);
            }
        }
    }
}
