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
    /// <summary>A received snapshot's file is written but not synced, nothing in the WAL yet.</summary>
    AfterSnapshotFile,
    /// <summary>The state machine was restored from a received snapshot, before the committed entries are applied.</summary>
    AfterSnapshotRestore,
    /// <summary>A compaction's snapshot file is synced but its WAL record not written yet.</summary>
    AfterCompactionFile,
}

/// <summary>What the host of a member does with the member's output (the simulator implements it).</summary>
internal interface IMemberHost
{
    /// <summary>Hands a message to the network.</summary>
    void Send(Message message);

    /// <summary>Called after <paramref name="entry"/> was applied, with the state machine's answer.</summary>
    void OnApplied(SimulatedMember member, Entry entry, KvResult? result);

    /// <summary>Called after the state machine was replaced by <paramref name="snapshot"/>'s data.</summary>
    void OnSnapshotRestored(SimulatedMember member, Snapshot snapshot);

    /// <summary>Called after a configuration change entry was applied, with the membership it produced.</summary>
    void OnConfChangeApplied(SimulatedMember member, Entry entry, ConfChange change, ConfState confState);

    /// <summary>A read-index answer may be served now (the state machine applied through its index).</summary>
    void OnReadIndex(SimulatedMember member, ReadState state);
}

/// <summary>
/// One member's host in the simulator: a pure <see cref="RaftNode"/>, its <see cref="SimulatedDisk"/> and its state
/// machine. All Ready handling is in <see cref="HandleReady"/> so the persist → send → restore → apply → Advance
/// contract lives in one place. A member that joins later starts with <see cref="ConfState.Empty"/> as its bootstrap
/// membership and a fresh disk. Single-threaded.
/// </summary>
internal sealed class SimulatedMember(ulong id, ConfState bootstrap, RaftConfig config, int compactEvery, PlantedBug bug)
{
    private readonly List<ReadState> _readStates = [];

    public ulong Id { get; } = id;
    public SimulatedDisk Disk { get; } = new();
    public RaftNode? Node { get; private set; }
    public RevisionedKv Kv { get; private set; } = new();
    public MemberStatus Status { get; private set; } = MemberStatus.Down;

    /// <summary>Index of the latest snapshot this member made or received (0: none).</summary>
    public ulong SnapshotIndex { get; private set; }

    /// <summary>Snapshots made by compaction and received from a leader (for the run summary).</summary>
    public (int Made, int Received) SnapshotCounts { get; private set; }

    /// <summary>Started at least once: a bootstrap member, or a spare id that joined (or is joining) the cluster.</summary>
    public bool Provisioned { get; set; }

    /// <summary>Provisioned and not removed: part of the final membership once the cluster converges.</summary>
    public bool IsLive => Provisioned && !Removed;

    /// <summary>Removed from the membership: stopped for good.</summary>
    public bool Removed { get; set; }

    /// <summary>Bumped on every start, so clients and watchers can tell a restarted process from the old one.</summary>
    public int Incarnation { get; private set; }

    /// <summary>Messages that arrived while paused, delivered on resume.</summary>
    public List<Message> HeldMessages { get; } = [];

    /// <summary>The tick until which the member stays paused or down.</summary>
    public long UntilTick { get; set; }

    public bool IsUp => Status == MemberStatus.Up;

    /// <summary>
    /// Starts the process from what the disk recovers: the snapshot the WAL names restores the state machine, and the
    /// core hands out the committed entries after it again to re-apply.
    /// </summary>
    public WalRecovery Start(Random random)
    {
        var recovery = Disk.Recover();
        var hardState = bug == PlantedBug.ForgetVoteOnRestart ? recovery.HardState with { Vote = RaftNode.None } : recovery.HardState;
        Node = new RaftNode(Id, bootstrap, config, random, hardState, recovery.Snapshot, recovery.Log);
        Kv = recovery.Snapshot is { } snapshot ? RevisionedKv.Restore(snapshot.Data) : new RevisionedKv();
        SnapshotIndex = recovery.Snapshot?.Index ?? 0;
        Status = MemberStatus.Up;
        Incarnation++;
        HeldMessages.Clear();
        _readStates.Clear();
        return recovery;
    }

    /// <summary>The process dies. With <paramref name="powerLoss"/> the page cache goes too (seeded torn tail).</summary>
    public int Crash(bool powerLoss, Random random, double tornChance)
    {
        Node = null;
        Status = MemberStatus.Down;
        HeldMessages.Clear();
        _readStates.Clear();
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
    /// Drains the node's Ready values: persist (snapshot file and fsync, WAL snapshot record, entries and hard state,
    /// fsync) → send → restore a received snapshot → apply (configuration changes through the core) → serve reads →
    /// Advance; then compacts every <c>compactEvery</c> applied entries. Returns false when <paramref name="crashAt"/>
    /// cut the handling short (the caller then crashes the member).
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
            if (ready.Snapshot is { } snapshot)
            {
                // Like etcd: the snapshot file is durable before the WAL names it, so a restart never misses it.
                Disk.Snapshots.Write(snapshot);
                if (crashAt == CrashPoint.AfterSnapshotFile)
                {
                    return false;
                }
                Disk.Snapshots.Sync(snapshot.Index);
                Disk.WriteSnapshotRecord(snapshot, replacesLog: true);
            }
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
            if (ready.Snapshot is { } received)
            {
                Kv = RevisionedKv.Restore(received.Data);
                SnapshotIndex = received.Index;
                SnapshotCounts = (SnapshotCounts.Made, SnapshotCounts.Received + 1);
                host.OnSnapshotRestored(this, received);
                if (crashAt == CrashPoint.AfterSnapshotRestore)
                {
                    return false;
                }
            }
            foreach (var e in ready.CommittedEntries)
            {
                if (e.Type == EntryType.ConfChange)
                {
                    var change = ConfChange.Decode(e.Data);
                    var confState = node.ApplyConfChange(change);
                    host.OnApplied(this, e, Kv.Apply(e.Index, []));
                    host.OnConfChangeApplied(this, e, change, confState);
                }
                else
                {
                    host.OnApplied(this, e, Kv.Apply(e.Index, e.Data));
                }
            }
            _readStates.AddRange(ready.ReadStates);
            ServeReads(host);
            node.Advance(ready);
        }
        return Compact(crashAt);
    }

    /// <summary>Serves read-index answers whose index is applied, in order.</summary>
    private void ServeReads(IMemberHost host)
    {
        var served = 0;
        // The planted bug serves as soon as the answer arrives, possibly before the read index is applied.
        while (served < _readStates.Count && (bug == PlantedBug.ReadBeforeApplied || _readStates[served].Index <= Kv.AppliedIndex))
        {
            host.OnReadIndex(this, _readStates[served++]);
        }
        _readStates.RemoveRange(0, served);
    }

    /// <summary>Every <c>compactEvery</c> applied entries: snapshot file, its fsync, then the WAL record and fsync.</summary>
    private bool Compact(CrashPoint crashAt)
    {
        var node = Node!;
        if (compactEvery <= 0 || node.ConfState.IsEmpty || Kv.AppliedIndex < SnapshotIndex + (ulong)compactEvery || node.Applied != Kv.AppliedIndex)
        {
            return true;
        }
        var snapshot = node.Compact(Kv.AppliedIndex, Kv.Save());
        Disk.Snapshots.Write(snapshot);
        Disk.Snapshots.Sync(snapshot.Index);
        if (crashAt == CrashPoint.AfterCompactionFile)
        {
            return false;
        }
        Disk.WriteSnapshotRecord(snapshot, replacesLog: false);
        Disk.Sync();
        Disk.Snapshots.PurgeBelow(snapshot.Index);
        SnapshotIndex = snapshot.Index;
        SnapshotCounts = (SnapshotCounts.Made + 1, SnapshotCounts.Received);
        return true;
    }
}
