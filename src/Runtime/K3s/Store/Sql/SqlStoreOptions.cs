namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// How a SQL datastore runs, whatever the engine. The compaction defaults are kine's (every 5 minutes, keep the
/// newest 1,000 revisions), so a server that never compacts through the API still has a bounded database.
/// </summary>
internal abstract record SqlStoreOptions
{
    /// <summary>How often the store compacts by itself; <see cref="TimeSpan.Zero"/> turns it off.</summary>
    public TimeSpan AutoCompactInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Revisions automatic compaction always keeps.</summary>
    public long AutoCompactRetain { get; init; } = 1000;

    /// <summary>Revisions compacted per transaction, so compaction never holds the writer for long.</summary>
    public long CompactWindow { get; init; } = 500;

    /// <summary>The smallest lease TTL in seconds; shorter grants are raised to it (etcd's default works out to 2).</summary>
    public long MinLeaseTtl { get; init; } = 2;

    /// <summary>etcd's maximum lease TTL in seconds.</summary>
    public long MaxLeaseTtl { get; init; } = 9_000_000_000;

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
