namespace K3sLab.K3s.Replication.Storage;

/// <summary>How the WAL writes its segments.</summary>
internal sealed record WalOptions
{
    /// <summary>Defaults: etcd's 64 MiB segments, preallocated.</summary>
    public static readonly WalOptions Default = new();

    /// <summary>
    /// A segment is closed, and the next one started, once it holds at least this many bytes. A batch never spans two
    /// segments, so a segment can end past this size by up to one batch.
    /// </summary>
    public long SegmentSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Create each segment at its full <see cref="SegmentSize"/> over reserved blocks (fallocate, then the length), as
    /// etcd does. A full disk then surfaces when a segment starts, before any record of a batch is written, and an
    /// append changes neither the file's length nor its block map, so its fsync flushes the data alone: on this
    /// machine's ext4 a 2 KiB synced write into such a file took 0.12-0.3 ms, an append that grows the file
    /// 0.6-1.9 ms. Readers take zeroes after the last record as the unused rest of the segment. With it, the next
    /// segment's file is also prepared in the background, zero-filled (<see cref="WalSpare"/>), and a segment that did
    /// not start from such a file (the first one, one started while no spare was ready, the last one after a reopen) is
    /// closed as soon as a spare is ready. Without it, segments grow with each append (tests that inspect every byte of
    /// a segment use that).
    /// </summary>
    public bool Preallocate { get; init; } = true;

    /// <summary>The largest record recovery accepts; anything longer is damage, not data.</summary>
    public int MaxRecordSize { get; init; } = 64 * 1024 * 1024;
}
