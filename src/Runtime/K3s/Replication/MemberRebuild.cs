using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Replication.Storage;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication;

/// <summary>
/// Writes a new member directory whose member, on its next start, is the only voter of a cluster that holds a given
/// store state: what etcd's <c>--force-new-cluster</c> and <c>etcdutl snapshot restore</c> leave behind, and what
/// k3s's <c>--cluster-reset</c> builds on.
/// </summary>
/// <remarks>
/// The state goes into a Raft snapshot at index 1, term 1 (never index 0, the bootstrap position): a member that
/// joins later starts with an empty log, so only a snapshot past index 0 makes the leader send it the state rather
/// than just the entries after it. The WAL holds a marker for that snapshot and a hard state committing it; a normal
/// start then restarts from them as from any received snapshot.
/// </remarks>
internal static class MemberRebuild
{
    private const ulong Index = 1;
    private const ulong Term = 1;

    /// <summary>
    /// Creates <paramref name="directory"/> (which must hold no WAL) for member <paramref name="memberId"/> of cluster
    /// <paramref name="clusterId"/>, advertising <paramref name="peerUrls"/>, with <paramref name="state"/> applied.
    /// Everything is fsynced when the task completes.
    /// </summary>
    public static async Task WriteAsync(MemberDirectory directory, ulong memberId, ulong clusterId, IReadOnlyList<string> peerUrls, MvccState state, ILogger logger, CancellationToken cancellationToken)
    {
        if (Wal.Exists(directory.Wal))
        {
            throw new InvalidOperationException($"{directory.Wal} already holds a WAL; move the member directory away before rebuilding it");
        }

        var members = new MemberTable();
        members.Add(memberId, peerUrls, isLearner: false);
        var view = state.CaptureSnapshot();
        var data = SnapshotData.Encode(members, new StateSnapshot(view.Length, view.WriteTo));
        Directory.CreateDirectory(directory.Path);
        var snapshots = new SnapshotStore(directory.Snap, logger);
        await snapshots.SaveAsync(new SnapshotFile(Index, Term, [memberId], [], data), cancellationToken).ConfigureAwait(false);
        var wal = Wal.Create(directory.Wal, memberId, clusterId, WalOptions.Default, logger);
        await using (wal.ConfigureAwait(false))
        {
            await wal.SaveSnapshotMarkerAsync(new SnapshotMarker(Index, Term), cancellationToken).ConfigureAwait(false);
            await wal.SaveAsync(new HardState(Term, RaftNode.None, Index), [], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A random non-zero member or cluster id.</summary>
    public static ulong NewId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong value;
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
            value = BitConverter.ToUInt64(bytes);
        }
        while (value == RaftNode.None);
        return value;
    }
}
