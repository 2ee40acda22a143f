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
    /// <summary>A member that believes it leads answers reads from its own state without going through the log.</summary>
    StaleLocalRead,
    /// <summary>A power loss also flips a byte in the durable part of the WAL.</summary>
    CorruptSyncedWal,
    /// <summary>A member serves a read-index answer as soon as it arrives, before it has applied through the read index.</summary>
    ReadBeforeApplied,
    /// <summary>In the core (through the test-only <c>RaftConfig.CountLearnerVotes</c>): candidates ask learners too and count their votes.</summary>
    CountLearnerVote,
    /// <summary>In the core (through the test-only <c>RaftConfig.CommitWithoutQuorum</c>): a leader commits, applies and acknowledges entries only it holds.</summary>
    CommitWithoutQuorum,
    /// <summary>Every member answers reads from its own state, without the ReadIndex barrier (the Docker plant <c>stale-reads</c>).</summary>
    StaleReadAnyMember,
}

/// <summary>One simulator run's shape. Each seed derives its own fault mix from <see cref="Seed"/>.</summary>
internal sealed record SimulationOptions(int Seed)
{
    /// <summary>Cluster size; 0 lets the seed choose 3 or 5.</summary>
    public int Members { get; init; }

    /// <summary>Ticks of the safety phase (faults on).</summary>
    public int SafetyTicks { get; init; } = 600;

    /// <summary>Most ticks the heal phase may take to converge before it counts as a liveness failure.</summary>
    public int HealTicks { get; init; } = 800;

    public PlantedBug Bug { get; init; } = PlantedBug.None;

    /// <summary>
    /// Runs this chaos scenario's steps in the safety phase instead of the seed's random faults (members, workload
    /// and faults come from it); the heal phase then only undoes what the steps left. Null: the random nemesis.
    /// </summary>
    public Scripted.ScenarioPlan? Scenario { get; init; }

    /// <summary>
    /// Report process deaths to the surviving members' cores as a transport that sees a refused connection does
    /// (<c>RaftNode.ReportPeerDown</c>), plus a few wrong reports about live leaders. Off by default, so the fixed
    /// seeds and the planted bugs' first catching seeds stay as measured; its own tests run seeds with it on.
    /// </summary>
    public bool PeerDownReports { get; init; }

    /// <summary>Keep the readable event log (costs time; the trace hash is always computed).</summary>
    public bool Trace { get; init; }

    /// <summary>Receives each trace line as it happens (with <see cref="Trace"/>).</summary>
    public Action<string>? TraceSink { get; init; }
}
