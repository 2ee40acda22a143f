namespace K3sLab.Scenarios.Simulation;

/// <summary>Whether a failure broke safety (a wrong answer) or liveness (no convergence after heal).</summary>
internal enum FailureKind
{
    /// <summary>The seed passed.</summary>
    None,
    /// <summary>An invariant or checker found a wrong result.</summary>
    Safety,
    /// <summary>The cluster did not converge within the heal budget.</summary>
    Liveness,
    /// <summary>A scripted scenario's <c>expect</c> step or <c>write-gap</c> bound did not hold.</summary>
    Expectation,
}

/// <summary>Counters of one run, for the per-seed summary.</summary>
internal sealed record SimulationStats
{
    public int Members { get; init; }
    public string FaultMix { get; init; } = "";
    public long Ticks { get; init; }
    public int Leaders { get; init; }
    public int AcknowledgedWrites { get; init; }
    public int Operations { get; init; }
    public int IndeterminateOperations { get; init; }
    public int Crashes { get; init; }
    public int PowerLosses { get; init; }
    public int TornTails { get; init; }

    /// <summary>Power losses that dropped written but unsynced bytes, and how many bytes they dropped.</summary>
    public int PowerLossesWithUnsynced { get; init; }
    public long UnsyncedBytesLost { get; init; }
    public int Pauses { get; init; }
    public int Partitions { get; init; }
    public long MessagesDelivered { get; init; }
    public long MessagesDropped { get; init; }
    public int WatchEvents { get; init; }
    public long LinearizabilitySteps { get; init; }
    public bool LinearizabilityUndecided { get; init; }
    public long HealTicksUsed { get; init; }
    public int SnapshotsMade { get; init; }
    public int SnapshotsReceived { get; init; }
    public int Isolations { get; init; }
    public int Transfers { get; init; }
    public int ConfChanges { get; init; }
    public int ReadIndexReads { get; init; }
    public int PeerDownReports { get; init; }
    public int WrongPeerDownReports { get; init; }
}

/// <summary>The outcome of one seed. <see cref="TraceHash"/> is equal for equal runs (replay check).</summary>
internal sealed record SimulationResult(int Seed, FailureKind Kind, string? Failure, SimulationStats Stats, ulong TraceHash, IReadOnlyList<string> Trace)
{
    /// <summary>With a scripted scenario: each step as it ran, in virtual seconds.</summary>
    public IReadOnlyList<Scripted.ScriptStepOutcome> ScriptSteps { get; init; } = [];

    /// <summary>With a scripted scenario: the longest time without an acknowledged write while the load ran, and when it began (virtual seconds).</summary>
    public (double Seconds, double From) WidestWriteGap { get; init; }

    public bool Passed => Kind == FailureKind.None;

    public int AcknowledgedWrites => Stats.AcknowledgedWrites;

    /// <inheritdoc />
    public override string ToString() => Passed
        ? $"seed {Seed}: ok ({Stats.Members} members, {Stats.AcknowledgedWrites} acknowledged writes, {Stats.Operations} ops, {Stats.Leaders} leaders, converged in {Stats.HealTicksUsed} heal ticks, trace {TraceHash:x16})"
        : $"seed {Seed}: FAILED ({Kind}): {Failure} (replay with: k3slab sim{(ScenarioName is { } s ? $" --scenario {s}" : "")} --seed {Seed} --seeds 1 --trace)";

    /// <summary>The scripted scenario's name, if the run had one.</summary>
    public string? ScenarioName { get; init; }
}
