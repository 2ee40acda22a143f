namespace K3sLab.K3s.Server.Snapshots;

/// <summary>The server's scheduled-snapshot flags (<c>--etcd-*snapshot*</c>), resolved.</summary>
/// <param name="Disabled"><c>--etcd-disable-snapshots</c>.</param>
/// <param name="Schedule"><c>--etcd-snapshot-schedule-cron</c>, default <c>0 */12 * * *</c>.</param>
/// <param name="Retention"><c>--etcd-snapshot-retention</c>: scheduled snapshots kept, default 5.</param>
/// <param name="Directory"><c>--etcd-snapshot-dir</c>; null means <c>${data-dir}/server/db/snapshots</c>.</param>
/// <param name="Prefix"><c>--etcd-snapshot-name</c>, default <c>etcd-snapshot</c>.</param>
internal sealed record SnapshotSettings(bool Disabled, CronSchedule Schedule, int Retention, string? Directory, string Prefix)
{
    public const string DefaultCron = "0 */12 * * *";

    public static SnapshotSettings Default { get; } = new(false, CronSchedule.Parse(DefaultCron), 5, null, SnapshotName.ScheduledPrefix);
}
