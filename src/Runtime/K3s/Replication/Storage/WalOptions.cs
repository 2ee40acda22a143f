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
    /// Reserve <see cref="SegmentSize"/> on disk when a segment is created (fallocate, keeping the file length). A full
    /// disk then surfaces when a segment starts, before any record of a batch is written, and appends inside the
    /// reservation need no block allocation at fsync time. File length still grows with each append, so readers never
    /// see the reservation as zeroes.
    /// </summary>
    public bool Preallocate { get; init; } = true;

    /// <summary>The largest record recovery accepts; anything longer is damage, not data.</summary>
    public int MaxRecordSize { get; init; } = 64 * 1024 * 1024;
}
