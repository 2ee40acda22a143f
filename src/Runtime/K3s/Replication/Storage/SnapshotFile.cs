namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// A snapshot as the snap directory stores it: the index and term of the last entry it covers, the configuration at
/// that point (voters and learners) and the state machine's data. Maps one to one onto the Raft core's snapshot.
/// </summary>
internal sealed record SnapshotFile(ulong Index, ulong Term, IReadOnlyList<ulong> Voters, IReadOnlyList<ulong> Learners, ReadOnlyMemory<byte> Data)
{
    /// <summary>The WAL marker that names this snapshot.</summary>
    public SnapshotMarker Marker => new(Index, Term);

    /// <summary>The file name: <c>&lt;term&gt;-&lt;index&gt;.snap</c>, 16 hex digits each, as etcd names them.</summary>
    public string FileName => NameOf(Marker);

    public static string NameOf(SnapshotMarker marker) => $"{marker.Term:x16}-{marker.Index:x16}{SnapshotCodec.Extension}";
}
