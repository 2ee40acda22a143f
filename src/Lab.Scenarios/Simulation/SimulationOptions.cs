namespace K3sLab.Scenarios.Simulation;

/// <summary>Test-only bugs the simulator can plant in its host to prove the checks catch them.</summary>
internal enum PlantedBug
{
    /// <summary>No bug.</summary>
    None,
    /// <summary>The host sends messages (acks, votes) before its log and hard state are fsynced; power loss then drops them.</summary>
    AckBeforeFsync,
    /// <summary>A restarted member forgets whom it voted for in its current term, so it can vote twice.</summary>
    ForgetVoteOnRestart,
}

/// <summary>One simulator run's shape. Each seed derives its own fault mix from <see cref="Seed"/>.</summary>
internal sealed record SimulationOptions(int Seed)
{
    public int Members { get; init; } = 3;
    public int SafetyTicks { get; init; } = 600;
    public int HealTicks { get; init; } = 400;
    public PlantedBug Bug { get; init; } = PlantedBug.None;
}

/// <summary>The outcome of one seed.</summary>
internal sealed record SimulationResult(int Seed, bool Passed, string? Failure, int AcknowledgedWrites, int Elections)
{
    /// <inheritdoc />
    public override string ToString() => Passed
        ? $"seed {Seed}: ok ({AcknowledgedWrites} acknowledged writes, {Elections} leaders)"
        : $"seed {Seed}: FAILED: {Failure} (replay with --seed {Seed})";
}
