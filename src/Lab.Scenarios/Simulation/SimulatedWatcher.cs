using K3sLab.Scenarios.Checkers;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// A client watching every key from some revision, served from one member's applied state. When that member dies or
/// restarts the watch breaks and the client resumes on another member from the revision after the last one it saw
/// (event or progress notification). What it receives is recorded for <see cref="WatchChecker"/>.
/// </summary>
internal sealed class SimulatedWatcher(string name)
{
    public string Name { get; } = name;

    /// <summary>The member serving the watch, or 0 while disconnected.</summary>
    public ulong Member { get; set; }

    public int Incarnation { get; set; }

    /// <summary>The next revision the watch owes.</summary>
    public long Next { get; set; }

    public List<WatchStreamItem> Stream { get; } = [];
}
