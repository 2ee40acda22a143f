using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// Step 1 and 2 of a Ready, persist and send, arranged so that the disk is not waited on more than safety needs.
/// </summary>
/// <remarks>
/// Two relaxations of the plain "fsync, then send everything" order, both as etcd makes them:
/// <list type="bullet">
/// <item>A leader's appends, heartbeats and snapshots go out before its own fsync. They promise nothing about this
/// member's disk; the core counts the leader's own log toward a quorum only once <see cref="RaftNode.Advance"/>
/// reports it stable, so an entry still commits only when a majority has it durably. Every other message, above all
/// votes and append acknowledgements, still waits for the fsync that backs it.</item>
/// <item>A hard state that differs from the last one written only in its commit index is not written on its own:
/// it rides along with the next write that must be fsynced anyway (etcd's "must sync" rule). The commit index is
/// volatile in Raft; after a crash the member learns it again from the leader, and the core clamps it to the
/// snapshot it restarts from. It is flushed before a snapshot is taken.</item>
/// </list>
/// </remarks>
internal sealed partial class RaftHost
{
    private HardState _writtenHardState;
    private HardState? _unwrittenCommit;

    /// <summary>Persists what <paramref name="ready"/> needs durable and sends its messages, each as early as is safe.</summary>
    private async Task PersistAndSendAsync(Ready ready)
    {
        var messages = ready.Messages;
        if (messages.Count > 0 && _node.Role == RaftRole.Leader)
        {
            var later = new List<Message>();
            var early = new List<Message>(messages.Count);
            foreach (var m in messages)
            {
                (IsLeaderBroadcast(m.Type) ? early : later).Add(m);
            }

            _transport.Send(early);
            messages = later;
        }

        if (ready.Snapshot is { } snapshot)
        {
            RefuseEmptySnapshot(snapshot);
            await SupersedeSnapshotWriteAsync().ConfigureAwait(false);
            await _storage.Snapshots.SaveAsync(ToFile(snapshot), _stop.Token).ConfigureAwait(false);
            await _storage.Wal.SaveSnapshotMarkerAsync(new SnapshotMarker(snapshot.Index, snapshot.Term), _stop.Token).ConfigureAwait(false);
        }

        var hardState = ready.HardState;
        if (hardState is { } hs && ready.Entries.Count == 0 && hs.Term == _writtenHardState.Term && hs.Vote == _writtenHardState.Vote)
        {
            _unwrittenCommit = hs;
            hardState = null;
        }
        else if (hardState is null && ready.Entries.Count > 0)
        {
            hardState = _unwrittenCommit;
        }

        if (hardState is not null || ready.Entries.Count > 0)
        {
            var entries = new List<WalEntry>(ready.Entries.Count);
            foreach (var e in ready.Entries)
            {
                entries.Add(WalEntry.From(e));
            }

            await _storage.Wal.SaveAsync(hardState, entries, _stop.Token).ConfigureAwait(false);
            if (hardState is { } written)
            {
                _writtenHardState = written;
                _unwrittenCommit = null;
            }
        }

        if (messages.Count > 0)
        {
            _transport.Send(messages);
        }
    }

    /// <summary>Writes a commit index that was held back, before a snapshot makes the log before it disappear.</summary>
    private async Task FlushCommitAsync()
    {
        if (_unwrittenCommit is { } hs)
        {
            await _storage.Wal.SaveAsync(hs, [], _stop.Token).ConfigureAwait(false);
            _writtenHardState = hs;
            _unwrittenCommit = null;
        }
    }

    /// <summary>Messages only a leader sends, which carry no promise about its own disk.</summary>
    private static bool IsLeaderBroadcast(MessageType type) =>
        type is MessageType.Append or MessageType.Heartbeat or MessageType.Snapshot;
}
