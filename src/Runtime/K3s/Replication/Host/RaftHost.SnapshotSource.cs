using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// The core holds this member's newest snapshot without its data: the bytes are a copy of the whole state, and the
/// core only passes them through to a member that fell behind the log, which is rare. They live in the snapshot
/// file, and in memory only while that file is being written.
/// </summary>
/// <remarks>
/// A snapshot "on disk" is one at an index above 0 with empty data. This host never makes a real snapshot like that
/// (<see cref="SnapshotData"/> always starts with a header; only the bootstrap snapshot at index 0 may be empty), so
/// the convention cannot be mistaken for an empty state. Outgoing snapshot messages are filled in by the peer
/// sender, off the loop, through <see cref="LoadSnapshotDataAsync"/>; a received one still empty is refused
/// (<see cref="RefuseEmptySnapshot"/>), never restored as an empty state.
/// </remarks>
internal sealed partial class RaftHost
{
    /// <summary>The snapshot whose file is being written, with its data, until the file is durable.</summary>
    private volatile SnapshotInWrite? _inWrite;

    /// <summary>True for a snapshot whose data the core does not hold.</summary>
    public static bool IsOnDisk(Snapshot snapshot) => snapshot.Index > 0 && snapshot.Data.Length == 0;

    /// <summary>The same snapshot as the core keeps it: without its data when that is on disk.</summary>
    private static Snapshot WithoutData(Snapshot snapshot) => snapshot.Index > 0 ? snapshot with { Data = [] } : snapshot;

    /// <summary>
    /// Fills in the data of an on-disk snapshot for sending: from memory while its file is written, else from the
    /// file (checked against its checksum).
    /// </summary>
    private async Task<Snapshot> LoadSnapshotDataAsync(Snapshot snapshot, CancellationToken ct)
    {
        if (!IsOnDisk(snapshot))
        {
            return snapshot;
        }

        if (_inWrite is { } writing && writing.Index == snapshot.Index && writing.Term == snapshot.Term)
        {
            return snapshot with { Data = writing.Data };
        }

        var data = await _storage.Snapshots.ReadDataAsync(new SnapshotMarker(snapshot.Index, snapshot.Term), ct).ConfigureAwait(false);
        return snapshot with { Data = data };
    }

    /// <summary>A received snapshot must carry its data: restoring an empty one would wipe this member's state.</summary>
    private static void RefuseEmptySnapshot(Snapshot snapshot)
    {
        if (IsOnDisk(snapshot))
        {
            throw new InvalidDataException($"the snapshot received at index {snapshot.Index} (term {snapshot.Term}) carries no data; the sender did not fill it in");
        }
    }

    private sealed record SnapshotInWrite(ulong Index, ulong Term, byte[] Data);
}
