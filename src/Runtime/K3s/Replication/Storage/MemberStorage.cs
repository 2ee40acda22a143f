namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// Opens a member's durable state as a whole: replays the WAL, loads the newest whole snapshot the WAL names and
/// reaches back to, and returns the entries after it. This is the one place that decides which snapshot recovery
/// starts from.
/// </summary>
internal static class MemberStorage
{
    /// <summary>Opens an existing member directory.</summary>
    /// <exception cref="WalCorruptException">The WAL is damaged.</exception>
    /// <exception cref="SnapshotCorruptException">Damaged snapshot files leave nothing to start from.</exception>
    /// <exception cref="InvalidOperationException">The WAL does not reach back to any snapshot (files missing).</exception>
    public static async Task<MemberState> OpenAsync(MemberDirectory member, WalOptions options, ILogger logger, CancellationToken ct)
    {
        var opened = await Wal.OpenAsync(member.Wal, options, logger, ct);
        try
        {
            var snapshots = new SnapshotStore(member.Snap, logger);
            var load = await snapshots.LoadNewestAsync(opened.Recovery.Covers, ct);
            var from = load.Snapshot?.Marker ?? default;
            if (!opened.Recovery.Covers(from) || opened.Recovery.EntriesAfter(from) is not { } entries)
            {
                throw new InvalidOperationException(
                    $"the Raft WAL in {member.Wal} starts at index {opened.Recovery.FirstIndex} but no snapshot file in {member.Snap} covers what comes before it. " +
                    "Restore the snap directory from a backup, or remove this member from the cluster, delete its data directory and join it again");
            }

            return new MemberState(opened.Wal, snapshots, load.Snapshot, opened.Recovery.HardState, entries, load.Damaged);
        }
        catch
        {
            await opened.Wal.DisposeAsync();
            throw;
        }
    }
}
