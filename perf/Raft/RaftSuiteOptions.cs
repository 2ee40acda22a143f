using K3sLab.Perf.Store;

namespace K3sLab.Perf.Raft;

/// <summary>How much load the raft suite puts on each cluster: the full run, or <c>--quick</c> for the CI smoke.</summary>
internal sealed record RaftSuiteOptions
{
    public required IReadOnlyList<int> ClientLevels { get; init; }

    public required TimeSpan LevelDuration { get; init; }

    /// <summary>etcdctl check perf loads to run on each cluster (none in the smoke: each takes 60 s).</summary>
    public required IReadOnlyList<string> CheckPerfLoads { get; init; }

    public required int FailoverTrials { get; init; }

    /// <summary>
    /// Put rounds. With more than one, both clusters run side by side for the put levels, and each round runs every
    /// level on both, etcd first in odd rounds and ours first in even ones, so a slow minute of the shared host falls
    /// on both sides alike; the ratio reported is the median of the rounds' ratios.
    /// </summary>
    public int Rounds { get; init; } = 1;

    /// <summary>How long the steady load runs through the survivor before each kill.</summary>
    public required TimeSpan SteadyBeforeKill { get; init; }

    /// <summary>When set, passed as <c>--snapshot-count</c> to every member of both clusters (each side's default otherwise: etcd 3.4 100,000, ours 10,000).</summary>
    public ulong? SnapshotCount { get; init; }

    /// <summary>The gRPC client the put levels drive both clusters with.</summary>
    public PutClient Client { get; init; } = PutClient.Grpc;

    /// <summary>The bound on recovery after the leader is killed.</summary>
    public TimeSpan FailoverGoal { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The goal for our put throughput over etcd's at each client level.</summary>
    public double ThroughputGoal { get; init; } = 1.5;

    public static RaftSuiteOptions Full { get; } = new()
    {
        ClientLevels = [1, 200],
        LevelDuration = TimeSpan.FromSeconds(15),
        CheckPerfLoads = ["m"],
        FailoverTrials = 20,
        SteadyBeforeKill = TimeSpan.FromSeconds(1),
    };

    public static RaftSuiteOptions Quick { get; } = new()
    {
        ClientLevels = [1, 200],
        LevelDuration = TimeSpan.FromSeconds(2),
        CheckPerfLoads = [],
        FailoverTrials = 2,
        SteadyBeforeKill = TimeSpan.FromMilliseconds(300),
    };
}
