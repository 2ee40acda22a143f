using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>A seeded network on virtual time: drop, delay (hence reorder), duplicate, and partitions.</summary>
internal sealed class SimulatedNetwork(Random random)
{
    private readonly PriorityQueue<Message, (long At, long Seq)> _inFlight = new();
    private readonly HashSet<(ulong From, ulong To)> _cut = [];
    private long _seq;

    public double DropRate { get; set; }
    public double DuplicateRate { get; set; }
    public int MaxDelay { get; set; } = 1;

    public void Heal()
    {
        _cut.Clear();
        DropRate = 0;
        DuplicateRate = 0;
    }

    /// <summary>Cuts the link one way; a cut both ways is a full partition, one way an asymmetric one.</summary>
    public void Cut(ulong from, ulong to) => _cut.Add((from, to));

    public void Send(Message m, long now)
    {
        if (_cut.Contains((m.From, m.To)) || random.NextDouble() < DropRate)
        {
            return;
        }
        var copies = random.NextDouble() < DuplicateRate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            _inFlight.Enqueue(m, (now + 1 + random.Next(MaxDelay), _seq++));
        }
    }

    public IEnumerable<Message> Due(long now)
    {
        while (_inFlight.TryPeek(out var m, out var key) && key.At <= now)
        {
            _inFlight.Dequeue();
            if (!_cut.Contains((m.From, m.To)))
            {
                yield return m;
            }
        }
    }
}
