using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>Whether a member's process runs.</summary>
internal enum MemberStatus
{
    /// <summary>Running: ticks, receives, handles Ready.</summary>
    Up,
    /// <summary>Frozen (SIGSTOP): no ticks; messages and client requests queue up and arrive stale on resume.</summary>
    Paused,
    /// <summary>Crashed: memory gone, disk waits for the restart.</summary>
    Down,
}

/// <summary>Where handling a Ready may be cut short by a crash, like etcd's raftBeforeSave/raftAfterSave failpoints.</summary>
internal enum CrashPoint
{
    /// <summary>No crash.</summary>
    None,
    /// <summary>After writing the WAL records, before fsync.</summary>
    AfterWrite,
    /// <summary>After fsync, before sending.</summary>
    AfterSync,
    /// <summary>After sending, before applying.</summary>
    AfterSend,
}

/// <summary>What the host of a member does with the member's output (the simulator implements it).</summary>
internal interface IMemberHost
{
    /// <summary>Hands a message to the network.</summary>
    void Send(Message message);

    /// <summary>Called after <paramref name="entry"/> was applied, with the state machine's answer.</summary>
    void OnApplied(SimulatedMember member, Entry entry, KvResult? result);
}

/// <summary>
/// One member's host in the simulator: a pure <see cref="RaftNode"/>, its <see cref="SimulatedDisk"/> and its state
/// machine. All Ready handling is in <see cref="HandleReady"/> so the persist → send → apply → Advance contract (and
/// later snapshots) live in one place. Single-threaded.
/// </summary>
internal sealed class SimulatedMember(ulong id, ulong[] members, PlantedBug bug)
{
    private static readonly RaftConfig s_config = new();

    public ulong Id { get; } = id;
    public SimulatedDisk Disk { get; } = new();
    public RaftNode? Node { get; private set; }
    public RevisionedKv Kv { get; private set; } = new();
    public MemberStatus Status { get; private set; } = MemberStatus.Down;

    /// <summary>Bumped on every start, so clients and watchers can tell a restarted process from the old one.</summary>
    public int Incarnation { get; private set; }

    /// <summary>Messages that arrived while paused, delivered on resume.</summary>
    public List<Message> HeldMessages { get; } = [];

    /// <summary>The tick until which the member stays paused or down.</summary>
    public long UntilTick { get; set; }

    public bool IsUp => Status == MemberStatus.Up;

    /// <summary>Starts the process from what the disk recovers; the state machine is rebuilt by re-applying the log.</summary>
    public WalRecovery Start(Random random)
    {
        var recovery = Disk.Recover();
        var hardState = bug == PlantedBug.ForgetVoteOnRestart ? recovery.HardState with { Vote = RaftNode.None } : recovery.HardState;
        Node = new RaftNode(Id, members, s_config, random, hardState, recovery.Log);
        Kv = new RevisionedKv();
        Status = MemberStatus.Up;
        Incarnation++;
        HeldMessages.Clear();
        return recovery;
    }

    /// <summary>The process dies. With <paramref name="powerLoss"/> the page cache goes too (seeded torn tail).</summary>
    public int Crash(bool powerLoss, Random random, double tornChance)
    {
        Node = null;
        Status = MemberStatus.Down;
        HeldMessages.Clear();
        if (!powerLoss)
        {
            return 0;
        }
        var kept = Disk.PowerLoss(random, tornChance);
        if (bug == PlantedBug.CorruptSyncedWal)
        {
            Disk.CorruptSynced(random);
        }
        return kept;
    }

    public void Pause(long until)
    {
        Status = MemberStatus.Paused;
        UntilTick = until;
    }

    public void Resume() => Status = MemberStatus.Up;

    /// <summary>
    /// Drains the node's Ready values: persist (write, fsync) → send → apply → Advance. Returns false when
    /// <paramref name="crashAt"/> cut the handling short (the caller then crashes the member).
    /// </summary>
    public bool HandleReady(IMemberHost host, CrashPoint crashAt, Random random)
    {
        var node = Node!;
        for (var rounds = 0; node.HasReady; rounds++)
        {
            if (rounds > 10_000)
            {
                throw new LivenessFailureException($"member {Id}: the Ready loop does not settle");
            }
            var ready = node.TakeReady();
            // TODO(snapshots): persist ready.Snapshot before the entries and restore the state machine from it.
            Disk.Write(ready.HardState, ready.Entries);
            if (crashAt == CrashPoint.AfterWrite)
            {
                return false;
            }
            if (bug != PlantedBug.AckBeforeFsync)
            {
                Disk.Sync();
            }
            if (crashAt == CrashPoint.AfterSync)
            {
                return false;
            }
            foreach (var m in ready.Messages)
            {
                host.Send(m);
            }
            if (bug == PlantedBug.AckBeforeFsync && random.Next(2) == 0)
            {
                Disk.Sync(); // the buggy host syncs lazily, after it has already acknowledged
            }
            if (crashAt == CrashPoint.AfterSend)
            {
                return false;
            }
            foreach (var e in ready.CommittedEntries)
            {
                host.OnApplied(this, e, Kv.Apply(e.Index, e.Data));
            }
            // TODO(readindex): serve ready.ReadStates here once the core emits them (see ClusterSimulator.Clients).
            node.Advance(ready);
        }
        return true;
    }
}
