namespace K3sLab.K3s.Server.Snapshots;

/// <summary>
/// Which snapshots retention removes: of the names in one series (prefix and node), all but the newest
/// <c>retention</c>, newest judged by the time the name carries and then by name. Other series are never touched,
/// so a scheduled prune leaves on-demand snapshots alone. A retention below 1 keeps everything, as in k3s.
/// </summary>
internal static class SnapshotRetention
{
    public static IReadOnlyList<SnapshotEntry> Expired(IEnumerable<SnapshotEntry> snapshots, string series, int retention)
    {
        if (retention < 1)
        {
            return [];
        }

        return [.. snapshots
            .Where(s => s.Name.StartsWith(series, StringComparison.Ordinal) && SnapshotName.TakenAt(s.Name) is not null)
            .OrderByDescending(s => s.Created)
            .ThenByDescending(s => s.Name, StringComparer.Ordinal)
            .Skip(retention)];
    }
}
