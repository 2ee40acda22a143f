using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// Raft's safety invariants, checked as the run goes: at most one leader per term; a committed index never holds two
/// different entries (across members and across restarts); members that applied the same index hold the same state;
/// acknowledged writes are never lost. Throws <see cref="SafetyViolationException"/> on the first break.
/// </summary>
internal sealed class SafetyMonitor
{
    private readonly Dictionary<ulong, ulong> _leaderByTerm = [];
    private readonly Dictionary<ulong, (ulong Term, ulong DataHash, ulong StateHash, ulong Member)> _committed = [];
    private readonly List<(ulong Index, ulong Term, long RequestId)> _acknowledged = [];

    public int Leaders => _leaderByTerm.Count;
    public int AcknowledgedWrites => _acknowledged.Count;
    public ulong HighestApplied { get; private set; }

    public void OnLeader(ulong term, ulong member)
    {
        if (!_leaderByTerm.TryAdd(term, member) && _leaderByTerm[term] != member)
        {
            throw new SafetyViolationException($"two leaders in term {term}: {_leaderByTerm[term]} and {member}");
        }
    }

    public void OnApplied(ulong member, Entry e, ulong stateHash, ulong previouslyApplied)
    {
        if (e.Index != previouslyApplied + 1)
        {
            throw new SafetyViolationException($"member {member} applied index {e.Index} after {previouslyApplied}");
        }
        var dataHash = Fnv.Mix(Fnv.Offset, e.Data);
        if (_committed.TryGetValue(e.Index, out var seen))
        {
            if (seen.Term != e.Term || seen.DataHash != dataHash)
            {
                throw new SafetyViolationException($"committed index {e.Index} changed: member {seen.Member} applied term {seen.Term}, member {member} applied {e} ({Describe(e)})");
            }
            if (seen.StateHash != stateHash)
            {
                throw new SafetyViolationException($"state diverged at applied index {e.Index}: member {seen.Member} hash {seen.StateHash:x16}, member {member} hash {stateHash:x16}");
            }
        }
        else
        {
            _committed[e.Index] = (e.Term, dataHash, stateHash, member);
            HighestApplied = Math.Max(HighestApplied, e.Index);
        }
    }

    /// <summary>
    /// A restarted member's recovered log must agree with everything known committed up to its commit index; only
    /// entries above its snapshot are compared (the snapshot itself is checked by <see cref="OnSnapshotRestored"/>).
    /// </summary>
    public void OnRecovered(ulong member, WalRecovery recovery)
    {
        foreach (var e in recovery.Log)
        {
            if (e.Index > recovery.HardState.Commit)
            {
                break;
            }
            if (_committed.TryGetValue(e.Index, out var seen) && (seen.Term != e.Term || seen.DataHash != Fnv.Mix(Fnv.Offset, e.Data)))
            {
                throw new SafetyViolationException($"member {member} recovered committed index {e.Index} as {e}, but term {seen.Term} was committed there");
            }
        }
    }

    /// <summary>A snapshot must capture a committed index and the state every member had after applying it.</summary>
    public void OnSnapshotRestored(ulong member, Snapshot snapshot, ulong stateHash)
    {
        if (snapshot.Index == 0)
        {
            return; // the bootstrap membership a joining member receives: the empty state
        }
        if (!_committed.TryGetValue(snapshot.Index, out var seen))
        {
            throw new SafetyViolationException($"member {member} restored snapshot {snapshot} of an index no member applied");
        }
        if (seen.Term != snapshot.Term || seen.StateHash != stateHash)
        {
            throw new SafetyViolationException($"member {member} restored snapshot {snapshot} (hash {stateHash:x16}), but member {seen.Member} applied term {seen.Term} there with hash {seen.StateHash:x16}");
        }
    }

    public void OnAcknowledged(ulong index, ulong term, long requestId) => _acknowledged.Add((index, term, requestId));

    /// <summary>Every acknowledged write is committed at its index and applied on every member.</summary>
    public void CheckAcknowledgedPresent(IEnumerable<SimulatedMember> members)
    {
        var minApplied = members.Min(m => m.Kv.AppliedIndex);
        foreach (var (index, term, requestId) in _acknowledged)
        {
            if (!_committed.TryGetValue(index, out var seen) || seen.Term != term)
            {
                throw new SafetyViolationException($"acknowledged write (request {requestId}) at {index}@t{term} lost");
            }
            if (index > minApplied)
            {
                throw new SafetyViolationException($"acknowledged write (request {requestId}) at {index} missing on a member that applied only {minApplied}");
            }
        }
    }

    private static string Describe(Entry e) => e.Data.Length == 0 ? "no-op" : System.Text.Encoding.UTF8.GetString(e.Data);
}
