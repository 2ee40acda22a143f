using System.Buffers.Binary;
using K3sLab.K3s.Store;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

internal sealed partial class RaftHost
{
    private const int MaxInputsPerRound = 8192;
    private static readonly TimeSpan SlowReady = TimeSpan.FromMilliseconds(100);

    private readonly List<TaskCompletionSource<ulong>> _readsQueued = [];
    private readonly Dictionary<ulong, (List<TaskCompletionSource<ulong>> Waiters, int Age)> _readsInFlight = [];
    private ulong _readSequence;
    private ulong _lastLeader;
    private int _ticksSincePromote;

    private async Task RunAsync()
    {
        try
        {
            while (await _inbox.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                var handled = 0;
                while (handled++ < MaxInputsPerRound && _inbox.Reader.TryRead(out var input))
                {
                    Handle(input);
                }

                IssueReads();
                while (_node.HasReady)
                {
                    await HandleReadyAsync(_node.TakeReady()).ConfigureAwait(false);
                }

                await MaybeSnapshotAsync().ConfigureAwait(false);
                Volatile.Write(ref _status, _node.GetStatus());
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A member that cannot persist must not keep voting or acknowledging: stop, as etcd panics.
            _fatal = e;
            Log.Fatal(_logger, e, MemberId);
            _failed.TrySetResult(e);
            _applied.FailAll(new StoreException(StoreError.Unavailable, $"this member stopped: {e.Message}", e));
            FailReads(new StoreException(StoreError.Unavailable, $"this member stopped: {e.Message}", e));
        }
    }

    private void Handle(HostInput input)
    {
        switch (input)
        {
            case HostInput.Tick:
                _node.Tick();
                AgeReads();
                OnTickAsLeader();
                PublishSelfIfNeeded();
                break;
            case HostInput.Receive r:
                foreach (var m in r.Messages)
                {
                    _node.Step(m);
                }

                break;
            case HostInput.Propose p:
                p.Done.TrySetResult(_node.Propose(p.Data));
                break;
            case HostInput.ProposeConfChange c:
                c.Done.TrySetResult(_node.ProposeConfChange(c.Change));
                break;
            case HostInput.Read read:
                _readsQueued.Add(read.Done);
                break;
            case HostInput.Transfer t:
                t.Done.TrySetResult(_node.TransferLeadership(t.Target));
                break;
            case HostInput.Unreachable u:
                _node.ReportUnreachable(u.Member);
                break;
            case HostInput.PeerDown d:
                _node.ReportPeerDown(d.Member);
                break;
            case HostInput.SnapshotSent s:
                _node.ReportSnapshot(s.Member, s.Ok);
                break;
            case HostInput.Run run:
                run.Action();
                break;
            default:
                break;
        }
    }

    /// <summary>Coalesces every read that arrived since the last round into one ReadIndex request.</summary>
    private void IssueReads()
    {
        if (_readsQueued.Count == 0)
        {
            return;
        }

        var context = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(context, ++_readSequence);
        _readsInFlight[_readSequence] = ([.. _readsQueued], 0);
        _readsQueued.Clear();
        _node.ReadIndex(context);
    }

    /// <summary>A read request the core dropped (leader lost meanwhile) is asked again after an election timeout.</summary>
    private void AgeReads()
    {
        List<ulong> stale = [];
        foreach (var (id, (waiters, age)) in _readsInFlight)
        {
            if (age + 1 >= _options.Raft.ElectionTicks)
            {
                stale.Add(id);
            }
            else
            {
                _readsInFlight[id] = (waiters, age + 1);
            }
        }

        foreach (var id in stale)
        {
            _readsQueued.AddRange(_readsInFlight[id].Waiters.Where(w => !w.Task.IsCompleted));
            _readsInFlight.Remove(id);
        }
    }

    /// <summary>
    /// Reads asked of a leader that is gone will never be answered; without this they would wait out their age (an
    /// election timeout) before being asked again, which after a leader's death added up to 0.8 s to every read that
    /// was in flight. A new leader gets them at once, on the next round.
    /// </summary>
    private void ReissueReads(ulong leader)
    {
        if (leader == RaftNode.None || _readsInFlight.Count == 0)
        {
            return;
        }

        foreach (var (waiters, _) in _readsInFlight.Values)
        {
            _readsQueued.AddRange(waiters.Where(w => !w.Task.IsCompleted));
        }

        _readsInFlight.Clear();
        _inbox.Writer.TryWrite(new HostInput.Run(static () => { }));
    }

    private void FailReads(Exception reason)
    {
        foreach (var w in _readsQueued.Concat(_readsInFlight.Values.SelectMany(r => r.Waiters)))
        {
            w.TrySetException(reason);
        }

        _readsQueued.Clear();
        _readsInFlight.Clear();
    }

    private async Task HandleReadyAsync(Ready ready)
    {
        var started = _options.Time.GetTimestamp();

        // 1. and 2. Persist (fsync) and send; a leader's own appends go out before its fsync (see RaftHost.Persist.cs).
        await PersistAndSendAsync(ready).ConfigureAwait(false);
        var persisted = _options.Time.GetTimestamp();

        // 3. Apply: the snapshot's state, then committed entries in order.
        if (ready.Snapshot is { } restored)
        {
            RestoreMachine(restored.Data);
            _snapshotIndex = restored.Index;
            _lastSnapshotBytes = restored.Data.Length;
            _bytesSinceSnapshot = 0;
            await _transport.AddPeersAsync(Members.PeerUrls()).ConfigureAwait(false);
            Log.SnapshotRestored(_logger, restored.Index, restored.Term);
        }

        foreach (var entry in ready.CommittedEntries)
        {
            await ApplyAsync(entry).ConfigureAwait(false);
        }

        if (ready.CommittedEntries.Count > 0 || ready.Snapshot is not null)
        {
            _applied.Advance(ready.CommittedEntries.Count > 0 ? ready.CommittedEntries[^1].Index : ready.Snapshot!.Index);
        }

        foreach (var state in ready.ReadStates)
        {
            var id = BinaryPrimitives.ReadUInt64LittleEndian(state.Context);
            if (_readsInFlight.Remove(id, out var reads))
            {
                foreach (var w in reads.Waiters)
                {
                    w.TrySetResult(state.Index);
                }
            }
        }

        if (ready.SoftState is { } soft && soft.Leader != _lastLeader)
        {
            _lastLeader = soft.Leader;
            ReissueReads(soft.Leader);
            Log.LeaderChanged(_logger, MemberId, soft.Leader, _node.Term);
            _machine.LeaderChanged(soft.Leader, soft.Leader == MemberId);
        }

        _node.Advance(ready);
        var took = _options.Time.GetElapsedTime(started);
        if (took >= SlowReady)
        {
            // As etcd warns when an apply or a WAL sync takes too long: a stalled loop sends no heartbeats.
            Log.SlowReady(_logger, took.TotalMilliseconds, _options.Time.GetElapsedTime(started, persisted).TotalMilliseconds, ready.Entries.Count, ready.CommittedEntries.Count, ready.Messages.Count);
        }
    }
}
