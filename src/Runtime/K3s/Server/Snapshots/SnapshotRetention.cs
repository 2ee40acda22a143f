namespace K3sLab.K3s.Server.Snapshots;

/// <summary>
/// Which snapshots retention removes: of the names in one series (prefix, node, then only the time), all but the newest
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
            .Where(s => InSeries(s.Name, series))
            .OrderByDescending(s => s.Created)
            .ThenByDescending(s => s.Name, StringComparer.Ordinal)
            .Skip(retention)];
    }

    /// <summary>The series prefix followed by nothing but the time, so node <c>n1</c>'s series leaves node <c>n1-b</c>'s alone.</summary>
    public static bool InSeries(string name, string series) =>
        name.Length > series.Length && name.StartsWith(series, StringComparison.Ordinal) && name.AsSpan(series.Length).ContainsAnyExceptInRange('0', '9') is false;
}
