using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication;

/// <summary>
/// Reads a stopped member's store state from its directory without starting it: the newest usable snapshot, then
/// every store request in the WAL after it. Used by <c>--cluster-reset</c>, which keeps the data and drops the peers.
/// </summary>
/// <remarks>
/// Every durable entry is applied, not just those up to the hard state's commit index: a commit-only hard state is
/// written lazily (it rides with the next write), so the index on disk may lag writes that clients saw succeed.
/// Keeping an entry that never committed is the lesser harm: it is a write whose client saw a timeout. Membership
/// entries are skipped; the rebuilt member is alone.
/// </remarks>
internal static class OfflineReplay
{
    /// <summary>The member's ids and its store state as of its last durable entry.</summary>
    public sealed record Result(ulong MemberId, ulong ClusterId, MvccState State);

    public static async Task<Result> ReadAsync(MemberDirectory directory, ILogger logger, CancellationToken cancellationToken)
    {
        var storage = await MemberStorage.OpenAsync(directory, WalOptions.Default, logger, cancellationToken).ConfigureAwait(false);
        await using (storage.Wal.ConfigureAwait(false))
        {
            var machine = new Machine();
            if (storage.Snapshot is { } snapshot)
            {
                SnapshotData.Decode(snapshot.Data.ToArray(), new MemberTable(), machine);
            }

            foreach (var entry in storage.Entries)
            {
                if (entry.Type == (byte)EntryType.Normal && EntryPayload.Decode(entry.Data.ToArray()) is { Kind: PayloadKind.StoreRequest } payload)
                {
                    machine.Apply(entry.Index, payload);
                }
            }

            return new Result(storage.Wal.Metadata.MemberId, storage.Wal.Metadata.ClusterId, machine.State);
        }
    }

    /// <summary>The bare state machine: the MVCC state with no watchers, leases timers or waiting clients.</summary>
    private sealed class Machine : IReplicatedStateMachine
    {
        public MvccState State { get; private set; } = new();

        public void Apply(ulong index, EntryPayload payload) => State.Apply(StoreCommandCodec.Decode(payload.Body.Span), out _);

        public StateSnapshot CaptureSnapshot()
        {
            var view = State.CaptureSnapshot();
            return new StateSnapshot(view.Length, view.WriteTo);
        }

        public void Restore(Stream source) => State = source == Stream.Null ? new MvccState() : MvccState.ReadSnapshot(source);

        public void LeaderChanged(ulong leader, bool isSelf)
        {
        }
    }
}
