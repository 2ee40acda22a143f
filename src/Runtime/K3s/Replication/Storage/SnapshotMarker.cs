namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// The WAL's record that a snapshot at (<see cref="Index"/>, <see cref="Term"/>) is durable in the snap directory:
/// recovery reads entries after it, and a snapshot file counts only if the WAL names it (a crash between writing the
/// snapshot file and this record leaves a file the WAL never references). (0, 0) is "no snapshot".
/// </summary>
internal readonly record struct SnapshotMarker(ulong Index, ulong Term)
{
    /// <inheritdoc />
    public override string ToString() => $"{Index}@t{Term}";
}
