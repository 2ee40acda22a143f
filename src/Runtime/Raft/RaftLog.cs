namespace K3sLab.Raft;

/// <summary>
/// The member's log in memory: entries 1..LastIndex, of which 1..Stabled are known durable and 1..Committed are
/// committed. Compaction and snapshots are not implemented yet, so the whole log is kept.
/// </summary>
internal sealed class RaftLog
{
    private readonly List<Entry> _entries;

    public RaftLog(IReadOnlyList<Entry> persisted, ulong commit)
    {
        _entries = [.. persisted];
        Stabled = LastIndex;
        Committed = Math.Min(commit, LastIndex);
        Applied = 0;
    }

    public ulong LastIndex => (ulong)_entries.Count;
    public ulong LastTerm => Term(LastIndex);
    public ulong Stabled { get; set; }
    public ulong Committed { get; private set; }
    public ulong Applied { get; set; }

    public ulong Term(ulong index) => index == 0 || index > LastIndex ? 0 : _entries[(int)index - 1].Term;

    public bool MatchTerm(ulong index, ulong term) => index <= LastIndex && Term(index) == term;

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
                _entries.RemoveRange((int)e.Index - 1, _entries.Count - (int)e.Index + 1);
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
        var to = Math.Min(toInclusive, LastIndex);
        var count = (int)Math.Min(to - from + 1, (ulong)max);
        return _entries.GetRange((int)from - 1, count);
    }
}
