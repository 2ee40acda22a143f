namespace K3sLab.Raft;

/// <summary>
/// The member's log in memory: the latest snapshot, then entries Offset+1..LastIndex, of which up to Stabled are known
/// durable and up to Committed are committed. Entries up to Offset were compacted away (Offset is the snapshot index,
/// or lower when compaction keeps a tail).
/// </summary>
internal sealed class RaftLog
{
    private readonly List<Entry> _entries = [];

    public RaftLog(Snapshot? snapshot, IReadOnlyList<Entry> persisted, ulong commit)
    {
        Snapshot = snapshot;
        Offset = snapshot?.Index ?? 0;
        OffsetTerm = snapshot?.Term ?? 0;
        foreach (var e in persisted)
        {
            if (e.Index <= Offset)
            {
                continue; // covered by the snapshot
            }
            if (e.Index != LastIndex + 1)
            {
                throw new ArgumentException($"persisted entries must follow the snapshot without gaps: expected index {LastIndex + 1}, got {e.Index}", nameof(persisted));
            }
            _entries.Add(e);
        }
        Stabled = LastIndex;
        Committed = Math.Clamp(commit, Offset, LastIndex);
        Applied = Offset;
    }

    /// <summary>The latest snapshot (received or made by compaction); null only on a member still joining.</summary>
    public Snapshot? Snapshot { get; private set; }

    /// <summary>A snapshot received from the leader that the host has not persisted and restored yet.</summary>
    public Snapshot? PendingSnapshot { get; private set; }

    public ulong Offset { get; private set; }
    public ulong OffsetTerm { get; private set; }
    public ulong FirstIndex => Offset + 1;
    public ulong LastIndex => Offset + (ulong)_entries.Count;
    public ulong LastTerm => Term(LastIndex);
    public ulong Stabled { get; set; }
    public ulong Committed { get; private set; }
    public ulong Applied { get; set; }

    /// <summary>Entries the host still has to apply, after the snapshot if one is pending.</summary>
    public bool HasNextCommitted => Math.Max(Applied, Offset) < Committed;

    /// <summary>Term of the entry at <paramref name="index"/>; 0 beyond the log or below <see cref="Offset"/> (callers check first).</summary>
    public ulong Term(ulong index) => index == Offset ? OffsetTerm : index < Offset || index > LastIndex ? 0 : _entries[At(index)].Term;

    public bool MatchTerm(ulong index, ulong term) => index >= Offset && index <= LastIndex && Term(index) == term;

    public bool IsUpToDate(ulong lastIndex, ulong lastTerm) => lastTerm > LastTerm || (lastTerm == LastTerm && lastIndex >= LastIndex);

    public void Append(Entry entry) => _entries.Add(entry);

    /// <summary>Appends entries following (index, term) that the caller has matched, truncating a conflicting suffix.</summary>
    public ulong AppendAfter(ulong index, IReadOnlyList<Entry> entries)
    {
        foreach (var e in entries)
        {
            if (e.Index <= LastIndex)
            {
                if (Term(e.Index) == e.Term)
                {
                    continue;
                }
                if (e.Index <= Committed)
                {
                    throw new InvalidOperationException($"conflict at committed index {e.Index} (committed {Committed})");
                }
                _entries.RemoveRange(At(e.Index), _entries.Count - At(e.Index));
                Stabled = Math.Min(Stabled, e.Index - 1);
            }
            _entries.Add(e);
        }
        return index + (ulong)entries.Count;
    }

    public void CommitTo(ulong index)
    {
        if (index > Committed)
        {
            if (index > LastIndex)
            {
                throw new InvalidOperationException($"commit {index} beyond last index {LastIndex}");
            }
            Committed = index;
        }
    }

    public IReadOnlyList<Entry> Slice(ulong from, ulong toInclusive, int max)
    {
        if (from > toInclusive || from > LastIndex)
        {
            return [];
        }
        if (from <= Offset)
        {
            throw new InvalidOperationException($"entry {from} was compacted (log starts at {FirstIndex})");
        }
        var to = Math.Min(toInclusive, LastIndex);
        var count = (int)Math.Min(to - from + 1, (ulong)max);
        return _entries.GetRange(At(from), count);
    }

    public IReadOnlyList<Entry> Unstable() => Slice(Stabled + 1, LastIndex, int.MaxValue);

    public IReadOnlyList<Entry> NextCommitted() => Slice(Math.Max(Applied, Offset) + 1, Committed, int.MaxValue);

    /// <summary>Keeps <paramref name="snapshot"/> for followers that fall behind and drops entries it covers, but <paramref name="keep"/>.</summary>
    public void Compact(Snapshot snapshot, int keep)
    {
        Snapshot = snapshot;
        var target = snapshot.Index > (ulong)keep ? snapshot.Index - (ulong)keep : 0;
        target = Math.Min(target, Stabled);
        if (target <= Offset)
        {
            return;
        }
        var term = Term(target);
        _entries.RemoveRange(0, (int)(target - Offset));
        Offset = target;
        OffsetTerm = term;
    }

    /// <summary>Replaces the whole log with a snapshot from the leader; the host persists and restores it from the next Ready.</summary>
    public void Restore(Snapshot snapshot)
    {
        _entries.Clear();
        Offset = snapshot.Index;
        OffsetTerm = snapshot.Term;
        Committed = snapshot.Index;
        Stabled = snapshot.Index;
        Snapshot = snapshot;
        PendingSnapshot = snapshot;
    }

    /// <summary>The host persisted and restored <paramref name="snapshot"/>.</summary>
    public void SnapshotApplied(Snapshot snapshot)
    {
        if (ReferenceEquals(PendingSnapshot, snapshot))
        {
            PendingSnapshot = null;
        }
        Applied = Math.Max(Applied, snapshot.Index);
    }

    private int At(ulong index) => (int)(index - Offset - 1);
}
