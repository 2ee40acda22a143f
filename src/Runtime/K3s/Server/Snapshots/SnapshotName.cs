using System.Globalization;

namespace K3sLab.K3s.Server.Snapshots;

/// <summary>
/// k3s's snapshot file names: <c>&lt;prefix&gt;-&lt;node-name&gt;-&lt;unix seconds&gt;</c>, prefix <c>etcd-snapshot</c>
/// for scheduled snapshots and <c>on-demand</c> for <c>k3s etcd-snapshot save</c> (both changeable by flag).
/// </summary>
internal static class SnapshotName
{
    /// <summary>The prefix of scheduled snapshots (<c>--etcd-snapshot-name</c>'s default).</summary>
    public const string ScheduledPrefix = "etcd-snapshot";

    /// <summary>The prefix of <c>k3s etcd-snapshot save</c>.</summary>
    public const string OnDemandPrefix = "on-demand";

    public static string Create(string prefix, string nodeName, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"{Series(prefix, nodeName)}{at.ToUnixTimeSeconds()}");

    /// <summary>What every name of one prefix on one node starts with; retention counts within it.</summary>
    public static string Series(string prefix, string nodeName) => $"{prefix}-{nodeName}-";

    /// <summary>The time a name carries (its last dash-separated part), or null if it has none.</summary>
    public static DateTimeOffset? TakenAt(string name)
    {
        var dash = name.LastIndexOf('-');
        return dash >= 0 && long.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
    }
}
