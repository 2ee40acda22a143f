namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// The WAL holds damage recovery must not paper over: a record that fails its checksum or makes no sense with valid
/// records after it, damage in a segment that was complete before the next one started, a missing segment. Dropping
/// what follows could lose acknowledged writes, so the member refuses to start. The message names the file, the byte
/// offset and the record and says what to do.
/// </summary>
internal sealed class WalCorruptException(string file, long offset, long record, string problem)
    : Exception($"the Raft WAL is damaged: {problem} in {file} at byte offset {offset} (record {record} of the segment). " +
        "Records after it may have been acknowledged, so the member will not start and will not truncate them. " +
        "Restore the member's data directory from a backup or snapshot, or remove this member from the cluster, delete its data directory and join it again")
{
    /// <summary>The segment file.</summary>
    public string File { get; } = file;

    /// <summary>The byte offset of the damaged record in <see cref="File"/>.</summary>
    public long Offset { get; } = offset;

    /// <summary>The damaged record's position in its segment, counting the header as record 0.</summary>
    public long Record { get; } = record;
}
