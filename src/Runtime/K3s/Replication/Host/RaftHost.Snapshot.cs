using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// Periodic snapshots (every <see cref="RaftHostOptions.SnapshotCount"/> applied entries, once those entries hold
/// <see cref="RaftHostOptions.SnapshotLogFraction"/> of the last snapshot's bytes), encoded and written off the loop.
/// </summary>
/// <remarks>
/// <para>Three steps. (1) On the loop, where the state matches the applied index, the state machine and member table
/// are frozen (<see cref="SnapshotData.Capture"/>: reference copies, no encoding). (2) A background task encodes the
/// frozen view and hands the bytes back to the loop as <see cref="HostInput.SnapshotEncoded"/>. (3) On the loop the
/// core compacts at the captured index — unless the capture went stale meanwhile (a received snapshot or an applied
/// configuration change, see <see cref="RaftNode.CanCompact"/>), in which case it is dropped and the next round
/// captures again — and a background task writes the file (a copy of the whole state, then fsync), its WAL marker,
/// and releases old WAL segments.</para>
/// <para>So neither encoding nor writing a large state stops the loop (and its heartbeats). Until the marker is
/// durable nothing depends on the new file: a crash restarts from the previous snapshot and the WAL, which still
/// holds every entry since. One capture and one write run at a time; a failure of either stops the member as a
/// failed WAL write does.</para>
/// </remarks>
internal sealed partial class RaftHost
{
    private Task _snapshotWrite = Task.CompletedTask;
    private bool _snapshotEncoding;
    private HostInput.SnapshotEncoded? _snapshotEncoded;

    /// <summary>Bytes of the entries applied since the last snapshot, and the last snapshot's size.</summary>
    private long _bytesSinceSnapshot;
    private long _lastSnapshotBytes;

    private async Task MaybeSnapshotAsync()
    {
        if (_snapshotEncoded is { } encoded)
        {
            _snapshotEncoded = null;
            _snapshotEncoding = false;
            await CompactAndWriteAsync(encoded).ConfigureAwait(false);
            return;
        }

        var applied = _node.Applied;
        if (_snapshotEncoding || applied < _snapshotIndex + _options.SnapshotCount || !_snapshotWrite.IsCompleted
            || _bytesSinceSnapshot < _lastSnapshotBytes * _options.SnapshotLogFraction)
        {
            return;
        }

        var encode = SnapshotData.Capture(Members, _machine);
        _snapshotEncoding = true;
        _ = Task.Run(() =>
        {
            try
            {
                _inbox.Writer.TryWrite(new HostInput.SnapshotEncoded(applied, encode()));
            }
            catch (Exception e)
            {
                _inbox.Writer.TryWrite(new HostInput.Run(() => throw new InvalidOperationException($"encoding the snapshot at index {applied} failed: {e.Message}", e)));
            }
        });
    }

    private async Task CompactAndWriteAsync(HostInput.SnapshotEncoded encoded)
    {
        if (!_node.CanCompact(encoded.Index))
        {
            Log.SnapshotDropped(_logger, encoded.Index, _node.Applied);
            return;
        }

        await _snapshotWrite.ConfigureAwait(false);

        // The WAL's commit index must reach the snapshot's before the marker that points past it.
        await FlushCommitAsync().ConfigureAwait(false);
        // The core keeps the snapshot without its data (see RaftHost.SnapshotSource.cs); the file gets the data.
        var snapshot = _node.Compact(encoded.Index, []) with { Data = encoded.Data };
        _snapshotIndex = snapshot.Index;
        _lastSnapshotBytes = snapshot.Data.Length;
        _bytesSinceSnapshot = 0;
        var inWrite = new SnapshotInWrite(snapshot.Index, snapshot.Term, snapshot.Data);
        _inWrite = inWrite;
        _snapshotWrite = Task.Run(() => WriteSnapshotAsync(snapshot, inWrite));
    }

    /// <summary>Waits for a snapshot write in progress (before the loop saves a received snapshot, and on shutdown).</summary>
    private async Task WaitSnapshotWriteAsync()
    {
        await _snapshotWrite.ConfigureAwait(false);
    }

    private async Task WriteSnapshotAsync(Snapshot snapshot, SnapshotInWrite inWrite)
    {
        try
        {
            await _storage.Snapshots.SaveAsync(ToFile(snapshot), _stop.Token).ConfigureAwait(false);

            // From here a sender reads the file, and the data is garbage once this write's caller lets it go.
            Interlocked.CompareExchange(ref _inWrite, null, inWrite);
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
