using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// Periodic snapshots (every <see cref="RaftHostOptions.SnapshotCount"/> applied entries, once those entries hold
/// <see cref="RaftHostOptions.SnapshotLogFraction"/> of the last snapshot's bytes), streamed to their file off the loop.
/// </summary>
/// <remarks>
/// <para>On the loop, where the state matches the applied index, the state machine and member table are frozen
/// (<see cref="SnapshotData.Capture"/>: reference copies, no encoding) and the core compacts at that index at once,
/// keeping the snapshot without its data (see RaftHost.SnapshotSource.cs). A thread of its own then encodes the
/// frozen view straight into the snapshot file (its exact size is known up front, so no copy of the state is built
/// in memory) at a paced rate (see <see cref="PacedWriteback"/>), fsyncs it, writes its WAL marker, and releases old
/// WAL segments.</para>
/// <para>So neither encoding nor writing a large state stops the loop (and its heartbeats). Until the marker is
/// durable nothing depends on the new file: a crash restarts from the previous snapshot and the WAL, which still
/// holds every entry since. A leader that must send the snapshot meanwhile waits for the file. One write runs at a
/// time; its failure stops the member as a failed WAL write does.</para>
/// </remarks>
internal sealed partial class RaftHost
{
    private Task _snapshotWrite = Task.CompletedTask;

    /// <summary>Ends the write in progress: on shutdown, or when a snapshot received from the leader supersedes it.</summary>
    private CancellationTokenSource? _snapshotWriteCancel;

    /// <summary>Bytes of the entries applied since the last snapshot, and the last snapshot's size.</summary>
    private long _bytesSinceSnapshot;
    private long _lastSnapshotBytes;

    private async Task MaybeSnapshotAsync()
    {
        var applied = _node.Applied;
        if (applied < _snapshotIndex + _options.SnapshotCount || !_snapshotWrite.IsCompleted
            || _bytesSinceSnapshot < _lastSnapshotBytes * _options.SnapshotLogFraction || !_node.CanCompact(applied))
        {
            return;
        }

        var state = SnapshotData.Capture(Members, _machine);

        // The WAL's commit index must reach the snapshot's before the marker that points past it.
        await FlushCommitAsync().ConfigureAwait(false);
        var snapshot = _node.Compact(applied, []);
        _snapshotIndex = snapshot.Index;
        _lastSnapshotBytes = state.Length;
        _bytesSinceSnapshot = 0;
        Log.SnapshotStarted(_logger, snapshot.Index, state.Length);
        _snapshotWriteCancel?.Dispose();
        var cancel = _snapshotWriteCancel = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);

        // A thread of its own, in the idle scheduling class: the write is paced, so it sleeps between steps for
        // seconds at a large state, and its encoding must not take the CPU from the members' latency-bound threads.
        var write = Task.Factory.StartNew(
            () =>
            {
                BackgroundPriority.LowerCurrentThread();
                return WriteSnapshotAsync(snapshot, state, cancel.Token);
            },
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        Volatile.Write(ref _snapshotWrite, write);
    }

    /// <summary>Waits for a snapshot write in progress (before the loop saves a received snapshot, and on shutdown).</summary>
    private async Task WaitSnapshotWriteAsync()
    {
        await Volatile.Read(ref _snapshotWrite).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends this member's own snapshot write, if one is in progress, and waits for it: a snapshot received from the
    /// leader is newer and replaces it. Nothing depends on the unfinished file (its marker was never written), and
    /// the WAL still holds every entry since the previous snapshot.
    /// </summary>
    private async Task SupersedeSnapshotWriteAsync()
    {
        if (_snapshotWriteCancel is { } cancel)
        {
            await cancel.CancelAsync().ConfigureAwait(false);
        }

        await WaitSnapshotWriteAsync().ConfigureAwait(false);
    }

    private async Task WriteSnapshotAsync(Snapshot snapshot, StateSnapshot data, CancellationToken ct)
    {
        try
        {
            var marker = new SnapshotMarker(snapshot.Index, snapshot.Term);
            await _storage.Snapshots.SaveAsync(marker, snapshot.ConfState.Voters, snapshot.ConfState.Learners, data.Length, data.WriteTo, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            await _storage.Wal.SaveSnapshotMarkerAsync(marker, _stop.Token).ConfigureAwait(false);
            var keep = (ulong)_options.Raft.CompactionKeepEntries;
            _storage.Wal.ReleaseBefore(snapshot.Index > keep ? snapshot.Index - keep : 0);
            Log.SnapshotTaken(_logger, snapshot.Index, data.Length);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Log.SnapshotAbandoned(_logger, snapshot.Index);
        }
        catch (Exception e)
        {
            // Fail on the loop, exactly as a failed save there would.
            _inbox.Writer.TryWrite(new HostInput.Run(() => throw new InvalidOperationException($"writing the snapshot at index {snapshot.Index} failed: {e.Message}", e)));
            throw;
        }
    }
}
