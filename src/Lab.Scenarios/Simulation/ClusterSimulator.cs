using K3sLab.Raft;
using K3sLab.Scenarios.Checkers;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// Runs N pure Raft members in one process on virtual time with a seeded network, disks, clients and watchers.
/// A safety phase injects the seed's fault mix (drop, delay, duplicate, reorder, partitions of every shape, crashes
/// with or without power loss and torn writes, crashes in the middle of a Ready, pauses) while invariants are checked
/// continuously; a heal phase removes every fault, restarts every member and requires convergence (equal state hash
/// and applied index on all members, a final write acknowledged, every acknowledged write present) within a tick
/// budget. Then the client history must be linearizable and every watcher stream must keep the watch guarantees.
/// Everything derives from the seed, so a failing seed replays exactly. Single-threaded; one instance per run.
/// </summary>
internal sealed partial class ClusterSimulator : IMemberHost
{
    /// <summary>Far above what a healthy run holds (a few hundred); reached only by a retransmission storm.</summary>
    private const int MaxInFlight = 20_000;

    /// <summary>Spare ids a run may add as new members (ids are never reused).</summary>
    private const int SpareIds = 3;

    private readonly SimulationOptions _options;
    private readonly FaultMix _mix;
    private readonly Random _faultRandom;
    private readonly Random _nodeRandom;
    private readonly SimulatedNetwork _network;
    private readonly SimulatedMember[] _members;
    private readonly int _bootstrapSize;
    private readonly ulong[] _appliedBefore;
    private readonly CrashPoint[] _crashAt;
    private readonly SafetyMonitor _monitor = new();
    private readonly SimulationTrace _trace;
    private readonly List<Message> _due = [];
    private long _now;
    private bool _healing;
    private ulong _lastLeader;
    private ulong _lastLeaderTerm;
    private int _crashes;
    private int _powerLosses;
    private int _tornTails;
    private int _pauses;
    private int _partitions;
    private long _healTicksUsed;
    private long _linearizabilitySteps;
    private bool _linearizabilityUndecided;

    public ClusterSimulator(SimulationOptions options)
    {
        _options = options;
        var root = new Random(options.Seed);
        var size = options.Scenario is { } plan ? plan.Members : options.Members > 0 ? options.Members : root.NextDouble() < 0.7 ? 3 : 5;
        _mix = options.Scenario is { } scripted ? FaultMix.ForScenario(scripted, new Random(root.Next())) : FaultMix.Create(new Random(root.Next()));
        _faultRandom = new Random(root.Next());
        _nodeRandom = new Random(root.Next());
        _clientRandom = new Random(root.Next());
        _watchRandom = new Random(root.Next());
        _bootstrapSize = size;
        var capacity = size + SpareIds;
        _network = new SimulatedNetwork(capacity, new Random(root.Next()));
        _trace = new SimulationTrace(options.Trace, options.TraceSink);
        var bootstrap = new ConfState([.. Enumerable.Range(1, size).Select(i => (ulong)i)], []);
        var config = new RaftConfig { CompactionKeepEntries = _mix.CompactionKeep, CountLearnerVotes = options.Bug == PlantedBug.CountLearnerVote, CommitWithoutQuorum = options.Bug == PlantedBug.CommitWithoutQuorum };
        // Spare ids join later with an empty membership and a fresh disk.
        _members = [.. Enumerable.Range(1, capacity).Select(i => new SimulatedMember((ulong)i, i <= size ? bootstrap : ConfState.Empty, config, _mix.CompactEvery, options.Bug)
        {
            Provisioned = i <= size,
            UntilTick = i <= size ? 0 : long.MaxValue,
        })];
        _appliedBefore = new ulong[capacity + 1];
        _crashAt = new CrashPoint[capacity + 1];
        _trace.Event(0, options.Scenario is { } s
            ? $"seed {options.Seed}: scenario {s.Definition.Name}, {size} members, bug {options.Bug}, clients {_mix.Clients} ({s.Routing}), keys {_mix.Keys}, watchers {_mix.Watchers}, delay<={_mix.MaxDelay}"
            : $"seed {options.Seed}: {size} members, bug {options.Bug}, faults {_mix}");
        foreach (var m in _members.Where(m => m.Provisioned))
        {
            StartMember(m);
        }
        CreateClients();
        CreateWatchers();
    }

    public SimulationResult Run()
    {
        var kind = FailureKind.None;
        string? failure = null;
        try
        {
            RunSafetyPhase();
            failure = RunHealPhase();
            if (failure is not null)
            {
                kind = FailureKind.Liveness;
            }
            else
            {
                failure = CheckHistories();
                kind = failure is null ? FailureKind.None : FailureKind.Safety;
            }
        }
        catch (Exception e) when (e is SafetyViolationException or WalCorruptionException or InvalidOperationException)
        {
            // A core invariant check (e.g. a conflict below the commit index) is a safety violation, not a crash.
            kind = FailureKind.Safety;
            failure = e is SafetyViolationException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        }
        catch (LivenessFailureException e)
        {
            kind = FailureKind.Liveness;
            failure = e.Message;
        }
        catch (Scripted.ScenarioExpectationException e)
        {
            kind = FailureKind.Expectation;
            failure = e.Message;
        }
        if (failure is not null)
        {
            _trace.Event(_now, $"FAILED ({kind}): {failure}");
        }
        return new SimulationResult(_options.Seed, kind, failure, Stats(), _trace.Hash, _trace.Lines)
        {
            ScriptSteps = _scriptSteps,
            WidestWriteGap = _widestWriteGap,
            ScenarioName = Plan?.Definition.Name,
        };
    }

    private void RunSafetyPhase()
    {
        if (Plan is { } plan)
        {
            RunScript(plan);
            return;
        }

        _network.DropRate = _mix.DropRate;
        _network.DuplicateRate = _mix.DuplicateRate;
        _network.ReorderRate = _mix.ReorderRate;
        _network.MaxDelay = _mix.MaxDelay;
        for (var t = 0; t < _options.SafetyTicks; t++)
        {
            InjectFaults();
            InjectWrongPeerDownReport();
            Step();
        }
        EndIsolation("the safety phase ends");
    }

    /// <summary>Heals everything, restarts every member, and runs until converged; returns a liveness failure or null.</summary>
    private string? RunHealPhase()
    {
        _healing = true;
        if (Plan is not null)
        {
            HealAfterScript();
        }
        else
        {
            _network.Heal();
            _trace.Event(_now, "heal: faults removed, every member restarted");
            foreach (var m in _members.Where(m => m.IsLive))
            {
                if (m.Status != MemberStatus.Down)
                {
                    m.Crash(powerLoss: false, _faultRandom, 0);
                }
                StartMember(m);
            }
        }
        var start = _now;
        while (_now - start < _options.HealTicks)
        {
            if ((_now - start) % 5 == 0)
            {
                DriveMembership(healing: true);
            }
            Step();
            if (IsConverged())
            {
                _healTicksUsed = _now - start;
                var first = Live().First();
                _trace.Event(_now, $"converged after {_healTicksUsed} heal ticks at applied index {first.Kv.AppliedIndex}, hash {first.Kv.StateHash:x16}, {first.Node!.ConfState}");
                return null;
            }
        }
        _healTicksUsed = _now - start;
        return $"no convergence within {_options.HealTicks} heal ticks: {DescribeMembers()}";
    }

    private void Step()
    {
        _now++;
        DeliverReports();
        DeliverDeathReports();
        _network.TakeDue(_now, _due);
        if (_network.InFlight > MaxInFlight)
        {
            throw new LivenessFailureException($"message storm: {_network.InFlight} messages in flight at tick {_now} ({DescribeMembers()})");
        }
        foreach (var m in _due)
        {
            var to = _members[(int)m.To - 1];
            if (to.Status == MemberStatus.Up)
            {
                _trace.Mix((ulong)m.Type, (m.From << 32) | m.To, m.Term ^ (m.Index << 20));
                to.Node!.Step(m);
            }
            else if (to.Status == MemberStatus.Paused)
            {
                to.HeldMessages.Add(m);
            }
            else
            {
                _network.Undeliverable.Add(m);
                continue;
            }
            if (m.Type == MessageType.Snapshot)
            {
                _snapshotsDelivered.Add(m);
            }
        }
        _due.Clear();
        foreach (var m in _members)
        {
            if (m.IsUp)
            {
                m.Node!.Tick();
            }
        }
        TickClients();
        foreach (var m in _members)
        {
            if (m.IsUp)
            {
                HandleMember(m);
            }
        }
        StopRemovedMembers();
        TickWatchers();
    }

    private void HandleMember(SimulatedMember member)
    {
        var crashAt = _crashAt[member.Id];
        _crashAt[member.Id] = CrashPoint.None;
        if (!member.HandleReady(this, crashAt, _nodeRandom) || crashAt != CrashPoint.None)
        {
            CrashMember(member, $"in the middle of a Ready ({crashAt})");
            return;
        }
        var node = member.Node!;
        if (node.Role == RaftRole.Leader)
        {
            _monitor.OnLeader(node.Term, member.Id);
            if (_lastLeader != member.Id || _lastLeaderTerm != node.Term)
            {
                _lastLeader = member.Id;
                _lastLeaderTerm = node.Term;
                _trace.Event(_now, $"member {member.Id} leads term {node.Term} (last index {node.LastIndex}, commit {node.Committed})");
            }
        }
    }

    void IMemberHost.Send(Message message) => _network.Send(message, _now);

    void IMemberHost.OnApplied(SimulatedMember member, Entry entry, KvResult? result)
    {
        _monitor.OnApplied(member.Id, entry, member.Kv.StateHash, _appliedBefore[member.Id]);
        _appliedBefore[member.Id] = entry.Index;
        _trace.Mix(member.Id, entry.Index, entry.Term);
        OnClientEntryApplied(member, entry, result);
    }

    void IMemberHost.OnSnapshotRestored(SimulatedMember member, Snapshot snapshot)
    {
        _monitor.OnSnapshotRestored(member.Id, snapshot, member.Kv.StateHash);
        _appliedBefore[member.Id] = snapshot.Index;
        _trace.Event(_now, $"member {member.Id} restores snapshot {snapshot}");
    }

    private void StartMember(SimulatedMember member)
    {
        var recovery = member.Start(new Random(_nodeRandom.Next()));
        _monitor.OnRecovered(member.Id, recovery);
        if (recovery.Snapshot is { } snapshot)
        {
            _monitor.OnSnapshotRestored(member.Id, snapshot, member.Kv.StateHash);
        }
        _appliedBefore[member.Id] = recovery.Snapshot?.Index ?? 0;
        if (_now > 0)
        {
            _trace.Event(_now, $"member {member.Id} starts: term {recovery.HardState.Term}, vote {recovery.HardState.Vote}, commit {recovery.HardState.Commit}, {(recovery.Snapshot is { } s ? $"snapshot {s.Index}@t{s.Term}, " : "")}{recovery.Log.Count} entries{(recovery.DroppedTailBytes > 0 ? $", dropped a torn tail of {recovery.DroppedTailBytes} bytes" : "")}");
        }
        if (recovery.DroppedTailBytes > 0)
        {
            _tornTails++;
        }
    }

    private bool IsConverged()
    {
        if (!_tombstoneAcknowledged || HasPendingClients())
        {
            return false;
        }
        var live = Live().ToList();
        var first = live[0];
        if (!first.IsUp || first.Node!.ConfState.Voters.Count < 3 || !first.Node.ConfState.Members.Order().SequenceEqual(live.Select(m => m.Id)))
        {
            // The final membership is every live member, with at least three voters.
            return false;
        }
        foreach (var m in live)
        {
            if (!m.IsUp || m.Node!.HasReady || m.Kv.AppliedIndex != m.Node.Committed || m.Kv.AppliedIndex != first.Kv.AppliedIndex || m.Kv.StateHash != first.Kv.StateHash
                || m.Node.ConfState != first.Node.ConfState)
            {
                return false;
            }
        }
        return true;
    }

    private string? CheckHistories()
    {
        _monitor.CheckAcknowledgedPresent(Live());
        var lin = LinearizabilityChecker.Check(_history);
        _linearizabilitySteps = lin.Steps;
        if (lin.Outcome == LinearizabilityOutcome.Illegal)
        {
            var ops = _history.Where(o => o.Key == lin.Key).OrderBy(o => o.Call).Select(o => o.ToString());
            _trace.Event(_now, $"history of {lin.Key}:\n    " + string.Join("\n    ", ops));
            return $"history not linearizable on key {lin.Key} ({_history.Count(o => o.Key == lin.Key)} operations; --trace prints them)";
        }
        if (lin.Outcome == LinearizabilityOutcome.Unknown)
        {
            _trace.Event(_now, $"linearizability undecided on key {lin.Key} after {lin.Steps} steps");
            _linearizabilityUndecided = true;
        }
        var violations = WatchChecker.Check(Live().First().Kv.Events, _watchers.ToDictionary(w => w.Name, w => (IReadOnlyList<WatchStreamItem>)w.Stream));
        return violations.Count == 0 ? null : string.Join("; ", violations.Select(v => v.ToString()));
    }

    /// <summary>The members of the final membership: provisioned and not removed, by id.</summary>
    private IEnumerable<SimulatedMember> Live() => _members.Where(m => m.IsLive);

    /// <summary>A uniformly chosen live member (fault victims, client and watcher guesses skip unused and removed ids).</summary>
    private SimulatedMember RandomLiveMember(Random r)
    {
        var live = _members.Count(m => m.IsLive);
        var pick = r.Next(live);
        return _members.Where(m => m.IsLive).ElementAt(pick);
    }

    private string DescribeMembers() => string.Join("; ", Live().Select(m => m.Node is { } n
        ? $"{m.Id}: {m.Status} {n.Role} term {n.Term} leader {n.Leader} last {n.LastIndex} commit {n.Committed} applied {m.Kv.AppliedIndex} hash {m.Kv.StateHash:x8} {n.ConfState}"
        : $"{m.Id}: {m.Status}")) + (_tombstoneAcknowledged ? "" : "; final write not acknowledged");

    private SimulationStats Stats()
    {
        var (delivered, dropped) = (_network.Counters.Delivered, _network.Counters.Dropped);
        return new SimulationStats
        {
            Members = _bootstrapSize,
            FaultMix = _mix.ToString(),
            Ticks = _now,
            Leaders = _monitor.Leaders,
            AcknowledgedWrites = _monitor.AcknowledgedWrites,
            Operations = _history.Count,
            IndeterminateOperations = _history.Count(o => o.IsIndeterminate),
            Crashes = _crashes,
            PowerLosses = _powerLosses,
            TornTails = _tornTails,
            PowerLossesWithUnsynced = _lossesWithUnsynced,
            UnsyncedBytesLost = _unsyncedBytesLost,
            Pauses = _pauses,
            Partitions = _partitions,
            MessagesDelivered = delivered,
            MessagesDropped = dropped,
            WatchEvents = _watchEvents,
            LinearizabilitySteps = _linearizabilitySteps,
            LinearizabilityUndecided = _linearizabilityUndecided,
            HealTicksUsed = _healTicksUsed,
            SnapshotsMade = _members.Sum(m => m.SnapshotCounts.Made),
            SnapshotsReceived = _members.Sum(m => m.SnapshotCounts.Received),
            Isolations = _isolations,
            Transfers = _transfers,
            ConfChanges = _confChanges,
            ReadIndexReads = _readIndexReads,
            PeerDownReports = _peerDownReports,
            WrongPeerDownReports = _wrongPeerDownReports,
        };
    }
}
