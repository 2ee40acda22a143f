using K3sLab.Scenarios.Checkers;

namespace K3sLab.Scenarios.Simulation;

internal sealed partial class ClusterSimulator
{
    private readonly Random _watchRandom;
    private readonly List<SimulatedWatcher> _watchers = [];
    private readonly List<WatchEvent> _batch = [];
    private int _watchEvents;

    private void CreateWatchers()
    {
        for (var i = 1; i <= _mix.Watchers; i++)
        {
            _watchers.Add(new SimulatedWatcher($"w{i}"));
        }
    }

    /// <summary>Each watcher connects, breaks, resumes and receives whole revisions (1 to 3 per response) from its member.</summary>
    private void TickWatchers()
    {
        var r = _watchRandom;
        foreach (var w in _watchers)
        {
            var member = w.Member == 0 ? null : _members[(int)w.Member - 1];
            if (member is null || member.Status == MemberStatus.Down || member.Incarnation != w.Incarnation)
            {
                if (member is not null)
                {
                    w.Member = 0;
                }
                Reconnect(w);
                continue;
            }
            if (!member.IsUp)
            {
                continue; // a paused member sends nothing
            }
            var kv = member.Kv;
            if (w.Next <= kv.Revision && r.Next(3) != 0)
            {
                _batch.Clear();
                var revisions = 1 + r.Next(3);
                while (revisions-- > 0 && w.Next <= kv.Revision)
                {
                    foreach (var e in kv.EventsAt(w.Next))
                    {
                        _batch.Add(e);
                    }
                    w.Next++;
                }
                w.Stream.Add(WatchStreamItem.Response([.. _batch]));
                _watchEvents += _batch.Count;
                _trace.Mix(0xAAAA, (ulong)w.Next, w.Member);
            }
            else if (w.Next > kv.Revision && r.Next(20) == 0)
            {
                w.Stream.Add(WatchStreamItem.Progress(kv.Revision));
            }
        }
    }

    private void Reconnect(SimulatedWatcher w)
    {
        var r = _watchRandom;
        var candidate = RandomLiveMember(r);
        if (!candidate.IsUp)
        {
            return;
        }
        w.Member = candidate.Id;
        w.Incarnation = candidate.Incarnation;
        if (w.Stream.Count == 0)
        {
            // First watch: open around the member's current revision, in the past or the future.
            w.Next = Math.Max(1, candidate.Kv.Revision - 5 + r.Next(9));
        }
        else
        {
            var lastProgress = w.Stream.Where(i => i.Kind == WatchItemKind.Progress).Select(i => i.Revision).DefaultIfEmpty(0).Max();
            w.Next = Math.Max(w.Next, lastProgress + 1);
        }
        w.Stream.Add(WatchStreamItem.Start(w.Next));
        _trace.Event(_now, $"watch {w.Name} opens on member {w.Member} from revision {w.Next} (member at {candidate.Kv.Revision})");
    }
}
