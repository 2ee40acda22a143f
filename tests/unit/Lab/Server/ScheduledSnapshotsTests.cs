using System.Globalization;
using K3sLab.K3s.Server.Snapshots;
using K3sLab.Lab.Tests.Agent;
using K3sLab.Lab.Tests.Replication;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Server;

/// <summary>The server's snapshot schedule on an injected clock: snapshots at the cron's times, retention within the scheduled series only.</summary>
[Trait("Category", "Integration")]
public sealed class ScheduledSnapshotsTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k3slab-scheduled-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task Schedule_TakesSnapshotsAtTheCronTimes_AndKeepsTheNewestOfItsOwnSeries()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(1, ct);
        var store = cluster["m1"].Store;
        (await InProcessCluster.PutAsync(store, "kept", "yes", ct)).Succeeded.Should().BeTrue();
        await File.WriteAllTextAsync(Path.Combine(_root.FullName, "on-demand-n-100"), "an on-demand snapshot", ct);
        var time = new ManualTime(DateTimeOffset.Parse("2026-03-01T10:59:30Z", CultureInfo.InvariantCulture));
        var directory = new SnapshotDirectory(_root.FullName);
        var settings = new SnapshotSettings(false, CronSchedule.Parse("0 * * * *"), 2, _root.FullName, SnapshotName.ScheduledPrefix);
        var seen = new SortedSet<string>(StringComparer.Ordinal);

        await using (ScheduledSnapshots.Start(store, directory, "n", settings, time, NullLogger.Instance))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!(seen.Count >= 3 && Scheduled(directory).Count == 2))
            {
                DateTime.UtcNow.Should().BeBefore(deadline, $"three hourly snapshots are taken as the clock passes three hours; seen {string.Join(", ", seen)}");
                time.Advance(TimeSpan.FromMinutes(1));
                await Task.Delay(20, ct);
                seen.UnionWith(Scheduled(directory));
            }
        }

        foreach (var name in seen)
        {
            (SnapshotName.TakenAt(name)!.Value.ToUnixTimeSeconds() % 3600).Should().BeLessThan(120, $"{name} is taken on the hour");
        }

        Scheduled(directory).Should().Equal(seen.TakeLast(2), "retention keeps the two newest scheduled snapshots");
        File.Exists(Path.Combine(_root.FullName, "on-demand-n-100")).Should().BeTrue("retention never touches on-demand snapshots");
        var state = DatastoreSnapshotFile.Read(directory.PathOf(seen.Max!));
        state.Revision.Should().Be(store.CurrentRevision);
    }

    private static List<string> Scheduled(SnapshotDirectory directory) =>
        [.. directory.List().Select(s => s.Name).Where(n => n.StartsWith("etcd-snapshot-n-", StringComparison.Ordinal))];
}
