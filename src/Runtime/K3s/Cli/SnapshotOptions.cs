using System.CommandLine;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Server.Snapshots;

namespace K3sLab.K3s.Cli;

/// <summary><c>k3s server</c>'s cluster-reset and scheduled-snapshot flags, with k3s's names and defaults.</summary>
internal sealed class SnapshotOptions
{
    public Option<bool> ClusterReset { get; } = EnvOption.Flag("--cluster-reset", "K3S_CLUSTER_RESET", "(db) Forget all peers and become sole member of a new cluster");

    public Option<string?> RestorePath { get; } = EnvOption.String("--cluster-reset-restore-path", null, null, "(db) Path to snapshot file to be restored");

    public Option<bool> Disable { get; } = EnvOption.Flag("--etcd-disable-snapshots", null, "(db) Disable automatic etcd snapshots");

    public Option<string?> Name { get; } = EnvOption.String("--etcd-snapshot-name", null, null, "(db) Set the base name of etcd snapshots", SnapshotName.ScheduledPrefix);

    public Option<string?> Cron { get; } = EnvOption.String("--etcd-snapshot-schedule-cron", null, null, "(db) Snapshot interval time in cron spec. eg. every 5 hours '0 */5 * * *'", SnapshotSettings.DefaultCron);

    public Option<int> Retention { get; } = EnvOption.Int("--etcd-snapshot-retention", "(db) Number of snapshots to retain", 5);

    public Option<string?> Directory { get; } = EnvOption.String("--etcd-snapshot-dir", null, null, "(db) Directory to save db snapshots. (default: ${data-dir}/server/db/snapshots)");

    public IEnumerable<Option> All => [ClusterReset, RestorePath, Disable, Name, Cron, Retention, Directory];

    public SnapshotSettings Resolve(ParseResult parse)
    {
        CronSchedule schedule;
        try
        {
            schedule = CronSchedule.Parse(parse.GetValue(Cron)!, TimeZoneInfo.Local);
        }
        catch (FormatException e)
        {
            throw new BootstrapException($"--etcd-snapshot-schedule-cron: {e.Message}");
        }

        return new SnapshotSettings(parse.GetValue(Disable), schedule, parse.GetValue(Retention), parse.GetValue(Directory) is { } dir ? Path.GetFullPath(dir) : null, parse.GetValue(Name)!);
    }
}
