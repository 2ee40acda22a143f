namespace K3sLab.K3s.Replication.Storage;

/// <summary>The kinds of WAL record; the byte after each record's checksum. Never renumber: it is on disk.</summary>
internal enum WalRecordType : byte
{
    /// <summary>The first record of every segment: format version, sequence, first index, member and cluster, previous segment's last checksum.</summary>
    SegmentHeader = 1,

    /// <summary>One Raft log entry: index, term, entry type, data.</summary>
    Entry = 2,

    /// <summary>Raft's hard state: term, vote, commit.</summary>
    HardState = 3,

    /// <summary>A durable snapshot's index and term.</summary>
    SnapshotMarker = 4,
}
