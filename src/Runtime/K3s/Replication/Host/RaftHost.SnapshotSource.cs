using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// The core holds this member's newest snapshot without its data: the bytes are a copy of the whole state, and the
/// core only passes them through to a member that fell behind the log, which is rare. They live only in the
/// snapshot file, which the host streams them into (RaftHost.Snapshot.cs).
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
    /// <summary>True for a snapshot whose data the core does not hold.</summary>
    private static bool IsOnDisk(Snapshot snapshot) => snapshot.Index > 0 && snapshot.Data.Length == 0;

    /// <summary>The same snapshot as the core keeps it: without its data when that is on disk.</summary>
    private static Snapshot WithoutData(Snapshot snapshot) => snapshot.Index > 0 ? snapshot with { Data = [] } : snapshot;

    /// <summary>
    /// Fills in the data of an on-disk snapshot for sending, from its file (checked against its checksum), once the
    /// write in progress, if any, has made the file whole.
    /// </summary>
    private async Task<Snapshot> LoadSnapshotDataAsync(Snapshot snapshot, CancellationToken ct)
    {
        if (!IsOnDisk(snapshot))
        {
            return snapshot;
        }

        try
        {
            await WaitSnapshotWriteAsync().WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new IOException($"the snapshot file could not be written: {e.Message}", e);
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
}
