using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// What the WAL held when it was opened: whose it is, the last hard state, the snapshot markers, and the log with
/// every overwrite applied (a record at an index replaces that entry and every entry after it, which is how a
/// follower's truncation is written). The log is contiguous from <see cref="FirstIndex"/>.
/// </summary>
internal sealed class WalRecovery
{
    private readonly List<WalEntry> _log;
    private readonly ulong _base;

    internal WalRecovery(WalMetadata metadata, HardState? hardState, IReadOnlyList<SnapshotMarker> markers, List<WalEntry> log, ulong baseIndex, long truncatedBytes)
    {
        Metadata = metadata;
        HardState = hardState;
        Markers = markers;
        _log = log;
        _base = baseIndex;
        TruncatedBytes = truncatedBytes;
        Snapshot = markers.Count > 0 ? markers[^1] : default;
        Entries = EntriesAfter(Snapshot) ?? [];
    }

    public WalMetadata Metadata { get; }

    /// <summary>The last hard state written, or null if none was.</summary>
    public HardState? HardState { get; }

    /// <summary>Every snapshot marker in the retained segments, in write order.</summary>
    public IReadOnlyList<SnapshotMarker> Markers { get; }

    /// <summary>The latest snapshot marker ((0, 0) if there is none).</summary>
    public SnapshotMarker Snapshot { get; }

    /// <summary>The entries after <see cref="Snapshot"/>.</summary>
    public IReadOnlyList<WalEntry> Entries { get; }

    /// <summary>The lowest index the retained log holds; entries below it were released or covered by a snapshot.</summary>
    public ulong FirstIndex => _base + 1;

    /// <summary>The last index of the log (the snapshot's index if no entry follows it).</summary>
    public ulong LastIndex => Math.Max(_base + (ulong)_log.Count, Snapshot.Index);

    /// <summary>Bytes of a torn tail recovery cut off (never acknowledged).</summary>
    public long TruncatedBytes { get; }

    /// <summary>
    /// Whether the retained log can start from <paramref name="snapshot"/>: the WAL names it (or it is (0, 0) and the log
    /// starts at index 1) and every entry after it is retained.
    /// </summary>
    public bool Covers(SnapshotMarker snapshot) => EntriesAfter(snapshot) is not null &&
        (snapshot == default ? _base == 0 : Markers.Contains(snapshot));

    /// <summary>The entries after <paramref name="snapshot"/>, or null if the retained log does not reach back to it or disagrees with its term.</summary>
    public IReadOnlyList<WalEntry>? EntriesAfter(SnapshotMarker snapshot)
    {
        var last = _base + (ulong)_log.Count;
        if (snapshot.Index < _base)
        {
            return null;
        }

        if (snapshot.Index > last)
        {
            return _log.Count == 0 ? [] : null;
        }

        if (snapshot.Index > _base && _log[(int)(snapshot.Index - _base - 1)].Term != snapshot.Term)
        {
            return null;
        }

        return _log.GetRange((int)(snapshot.Index - _base), (int)(last - snapshot.Index));
    }
}
