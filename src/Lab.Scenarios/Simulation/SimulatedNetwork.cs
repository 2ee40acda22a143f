using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// A seeded network between members 1..N on virtual ticks. Each message may be dropped, duplicated, delayed by
/// 1..<see cref="MaxDelay"/> ticks, or held back further (reordered). Links are cut one way at a time, so a cut both
/// ways is a full partition and a cut one way an asymmetric one; a cut applies to messages in flight too.
/// Single-threaded; all randomness comes from the injected source.
/// </summary>
internal sealed class SimulatedNetwork(int members, Random random)
{
    private readonly PriorityQueue<Message, (long At, long Seq)> _inFlight = new();
    private readonly bool[,] _cut = new bool[members + 1, members + 1];
    private readonly double[] _incomingLoss = new double[members + 1];
    private long _seq;

    public double DropRate { get; set; }
    public double DuplicateRate { get; set; }
    public double ReorderRate { get; set; }
    public int MaxDelay { get; set; } = 1;

    /// <summary>Messages dropped, duplicated and held back so far (for the run summary).</summary>
    public (long Dropped, long Duplicated, long Reordered, long Delivered) Counters => (_dropped, _duplicated, _reordered, _delivered);

    private long _dropped, _duplicated, _reordered, _delivered;

    /// <summary>Removes every cut and every per-message fault; messages in flight still arrive.</summary>
    public void Heal()
    {
        Array.Clear(_cut);
        DropRate = 0;
        DuplicateRate = 0;
        ReorderRate = 0;
        MaxDelay = 1;
    }

    /// <summary>Removes every cut, keeping per-message faults.</summary>
    public void ClearCuts() => Array.Clear(_cut);

    /// <summary>Cuts the link one way: nothing from <paramref name="from"/> reaches <paramref name="to"/>.</summary>
    public void Cut(ulong from, ulong to) => _cut[from, to] = true;

    /// <summary>Drops a random <paramref name="probability"/> share of what <paramref name="member"/> receives (iptables statistic).</summary>
    public void SetIncomingLoss(ulong member, double probability) => _incomingLoss[member] = probability;

    /// <summary>Removes every member's random incoming loss.</summary>
    public void ClearIncomingLoss() => Array.Clear(_incomingLoss);

    /// <summary>Restores the link one way.</summary>
    public void Uncut(ulong from, ulong to) => _cut[from, to] = false;

    /// <summary>
    /// Messages the sender's transport knows were not delivered (a cut link, a dead peer, a lost snapshot stream), for
    /// the host to report with <c>ReportUnreachable</c> / <c>ReportSnapshot</c>; the host drains the list.
    /// </summary>
    public List<Message> Undeliverable { get; } = [];

    public bool IsCut(ulong from, ulong to) => _cut[from, to];

    /// <summary>Messages sent and not yet delivered or dropped.</summary>
    public int InFlight => _inFlight.Count;

    public void Send(Message m, long now)
    {
        var cut = _cut[m.From, m.To];
        if (cut || (DropRate > 0 && random.NextDouble() < DropRate) || (_incomingLoss[m.To] > 0 && random.NextDouble() < _incomingLoss[m.To]))
        {
            _dropped++;
            if (cut || m.Type == MessageType.Snapshot)
            {
                Undeliverable.Add(m);
            }
            return;
        }
        var copies = DuplicateRate > 0 && random.NextDouble() < DuplicateRate ? 2 : 1;
        _duplicated += copies - 1;
        for (var i = 0; i < copies; i++)
        {
            var delay = 1 + random.Next(MaxDelay);
            if (ReorderRate > 0 && random.NextDouble() < ReorderRate)
            {
                delay += 1 + random.Next(3 * MaxDelay + 3);
                _reordered++;
            }
            _inFlight.Enqueue(m, (now + delay, _seq++));
        }
    }

    /// <summary>Takes the messages due at <paramref name="now"/>, in arrival order, into <paramref name="due"/>.</summary>
    public void TakeDue(long now, List<Message> due)
    {
        while (_inFlight.TryPeek(out var m, out var key) && key.At <= now)
        {
            _inFlight.Dequeue();
            if (_cut[m.From, m.To])
            {
                _dropped++;
                Undeliverable.Add(m);
                continue;
            }
            _delivered++;
            due.Add(m);
        }
    }
}
