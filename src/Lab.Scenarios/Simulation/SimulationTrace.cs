namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// The run's event log. Every event is folded into <see cref="Hash"/> (so two runs of a seed can be compared
/// cheaply); the readable lines are kept only when <see cref="Enabled"/>.
/// </summary>
internal sealed class SimulationTrace(bool enabled, Action<string>? sink = null)
{
    private readonly List<string> _lines = [];

    public bool Enabled { get; } = enabled;
    public ulong Hash { get; private set; } = Fnv.Offset;
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Folds a hot-path event into the hash without formatting anything.</summary>
    public void Mix(ulong a, ulong b = 0, ulong c = 0) => Hash = Fnv.Mix(Fnv.Mix(Fnv.Mix(Hash, a), b), c);

    /// <summary>Records a notable event (fault, election, client result).</summary>
    public void Event(long tick, string text)
    {
        Hash = Fnv.Mix(Fnv.Mix(Hash, (ulong)tick), text);
        if (Enabled)
        {
            var line = $"{tick,6} {text}";
            _lines.Add(line);
            sink?.Invoke(line);
        }
    }
}
