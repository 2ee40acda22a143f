using System.Globalization;
using K3sLab.Scenarios.Simulation.Scripted;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// The faults one seed injects (swarm testing: each seed turns each fault on or off and picks its intensity, so
/// rare combinations get explored). Rates are per tick unless said otherwise.
/// </summary>
internal sealed record FaultMix
{
    public double DropRate { get; init; }
    public double DuplicateRate { get; init; }
    public double ReorderRate { get; init; }
    public int MaxDelay { get; init; } = 1;
    public double PartitionRate { get; init; }
    public PartitionKind[] PartitionKinds { get; init; } = [];
    public double CrashRate { get; init; }
    /// <summary>Share of crashes that are power losses (unsynced bytes lost) rather than process kills.</summary>
    public double PowerLossShare { get; init; }
    /// <summary>Chance that a power loss keeps a torn prefix of the unsynced tail.</summary>
    public double TornChance { get; init; }
    /// <summary>Share of crashes that hit in the middle of handling a Ready (between write, sync, send and apply).</summary>
    public double MidReadyCrashShare { get; init; }
    public double PauseRate { get; init; }
    /// <summary>Chance per tick that the leader is asked to hand leadership to another voter.</summary>
    public double TransferRate { get; init; }
    /// <summary>Chance per tick that a follower is cut off until the leader has compacted past its log (it then needs a snapshot).</summary>
    public double IsolateRate { get; init; }
    /// <summary>Chance per tick that the membership driver proposes its next change (add a learner, promote, remove).</summary>
    public double MembershipRate { get; init; }
    /// <summary>Every member compacts its log every this many applied entries.</summary>
    public int CompactEvery { get; init; } = 100;
    /// <summary>Entries a compaction keeps before its snapshot index.</summary>
    public int CompactionKeep { get; init; }
    public int Clients { get; init; } = 3;
    public int Keys { get; init; } = 4;
    public int Watchers { get; init; } = 2;
    public int ClientTimeout { get; init; } = 40;

    public static FaultMix Create(Random r)
    {
        double Maybe(double p, double lo, double hi) => r.NextDouble() < p ? lo + r.NextDouble() * (hi - lo) : 0;
        var kinds = Enum.GetValues<PartitionKind>().Where(_ => r.Next(2) == 0).ToArray();
        return new FaultMix
        {
            DropRate = Maybe(0.5, 0.01, 0.3),
            DuplicateRate = Maybe(0.5, 0.01, 0.2),
            ReorderRate = Maybe(0.5, 0.01, 0.3),
            MaxDelay = 1 + r.Next(6),
            PartitionRate = kinds.Length == 0 ? 0 : Maybe(0.7, 0.005, 0.03),
            PartitionKinds = kinds,
            CrashRate = Maybe(0.75, 0.003, 0.03),
            PowerLossShare = r.NextDouble(),
            TornChance = r.NextDouble(),
            MidReadyCrashShare = r.NextDouble(),
            PauseRate = Maybe(0.5, 0.002, 0.015),
            Clients = 2 + r.Next(5),
            Keys = 2 + r.Next(5),
            Watchers = 1 + r.Next(3),
            ClientTimeout = 20 + r.Next(60),
            TransferRate = Maybe(0.4, 0.002, 0.01),
            IsolateRate = Maybe(0.5, 0.003, 0.01),
            MembershipRate = Maybe(0.5, 0.01, 0.05),
            CompactEvery = 20 + r.Next(181),
            CompactionKeep = r.Next(8),
        };
    }

    /// <summary>
    /// The mix of a scripted scenario: no random faults (the steps inject them), the scenario's workload, the Docker
    /// workload's 5 s request timeout, and seeded delays, compaction and torn-write chances.
    /// </summary>
    public static FaultMix ForScenario(ScenarioPlan plan, Random r) => new()
    {
        MaxDelay = 1 + r.Next(2),
        TornChance = r.NextDouble(),
        Clients = plan.Clients,
        Keys = Math.Max(2, plan.Keys),
        Watchers = plan.Watchers,
        ClientTimeout = (int)ScenarioPlan.Ticks(TimeSpan.FromSeconds(5)),
        CompactEvery = 20 + r.Next(181),
        CompactionKeep = r.Next(8),
    };

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"drop={DropRate:0.###} dup={DuplicateRate:0.###} reorder={ReorderRate:0.###} delay<={MaxDelay} partition={PartitionRate:0.####}[{string.Join(",", PartitionKinds)}] crash={CrashRate:0.####} (power-loss {PowerLossShare:P0}, torn {TornChance:P0}, mid-ready {MidReadyCrashShare:P0}) pause={PauseRate:0.####} transfer={TransferRate:0.####} isolate={IsolateRate:0.####} membership={MembershipRate:0.###} compact-every={CompactEvery} keep={CompactionKeep} clients={Clients} keys={Keys} watchers={Watchers} timeout={ClientTimeout}");
}
