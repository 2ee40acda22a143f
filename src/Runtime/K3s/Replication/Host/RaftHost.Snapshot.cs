using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// Periodic snapshots (every <see cref="RaftHostOptions.SnapshotCount"/> applied entries), written off the loop.
/// </summary>
/// <remarks>
/// The state is encoded on the loop, where it is consistent with the applied index, and the core's log is compacted
/// there. Writing the file (a copy of the whole state, then fsync), its WAL marker and releasing old WAL segments
/// happen on a background task, so a large state does not stop the loop (and its heartbeats) for the length of the
/// write. Until the marker is durable nothing depends on the new file: a crash restarts from the previous snapshot
/// and the WAL, which still holds every entry since. Only one write runs at a time; a failed write stops the member
/// as a failed WAL write does.
/// </remarks>
internal sealed partial class RaftHost
{
    private Task _snapshotWrite = Task.CompletedTask;

    private async Task MaybeSnapshotAsync()
    {
        var applied = _node.Applied;
        if (applied < _snapshotIndex + _options.SnapshotCount || !_snapshotWrite.IsCompleted)
        {
            return;
        }

        await _snapshotWrite.ConfigureAwait(false);
        await FlushCommitAsync().ConfigureAwait(false);
        var data = SnapshotData.Encode(Members, _machine);
        var snapshot = _node.Compact(applied, data);
        _snapshotIndex = snapshot.Index;
        _snapshotWrite = Task.Run(() => WriteSnapshotAsync(snapshot));
    }

    /// <summary>Waits for a snapshot write in progress (before the loop saves a received snapshot, and on shutdown).</summary>
    private async Task WaitSnapshotWriteAsync()
    {
        await _snapshotWrite.ConfigureAwait(false);
    }

    private async Task WriteSnapshotAsync(Snapshot snapshot)
    {
        try
        {
            await _storage.Snapshots.SaveAsync(ToFile(snapshot), _stop.Token).ConfigureAwait(false);
            await _storage.Wal.SaveSnapshotMarkerAsync(new SnapshotMarker(snapshot.Index, snapshot.Term), _stop.Token).ConfigureAwait(false);
            var keep = (ulong)_options.Raft.CompactionKeepEntries;
            _storage.Wal.ReleaseBefore(snapshot.Index > keep ? snapshot.Index - keep : 0);
            Log.SnapshotTaken(_logger, snapshot.Index, snapshot.Data.Length);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Fail on the loop, exactly as a failed save there would.
            _inbox.Writer.TryWrite(new HostInput.Run(() => throw new InvalidOperationException($"writing the snapshot at index {snapshot.Index} failed: {e.Message}", e)));
            throw;
        }
    }
}
