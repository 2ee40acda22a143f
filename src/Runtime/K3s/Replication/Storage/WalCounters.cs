namespace K3sLab.K3s.Replication.Storage;

/// <summary>What the WAL has done since it was opened, for tests and benchmarks. Thread-safe; each value is read on its own.</summary>
internal sealed class WalCounters
{
    private long _saves;
    private long _batches;
    private long _fsyncs;
    private long _records;
    private long _bytes;
    private long _segments;

    /// <summary>Calls that were acknowledged (SaveAsync and SaveSnapshotMarkerAsync).</summary>
    public long Saves => Interlocked.Read(ref _saves);

    /// <summary>Group commits: one write and one fsync for all the calls that queued up meanwhile.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>fsync/fdatasync calls on segments (group commits plus segment starts).</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Records appended, headers included.</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Bytes appended.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Segments started (created or rolled to).</summary>
    public long Segments => Interlocked.Read(ref _segments);

    internal void Saved(int calls) => Interlocked.Add(ref _saves, calls);

    internal void Batch() => Interlocked.Increment(ref _batches);

    internal void Fsync() => Interlocked.Increment(ref _fsyncs);

    internal void Appended(int records, long bytes)
    {
        Interlocked.Add(ref _records, records);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void Segment() => Interlocked.Increment(ref _segments);
}
