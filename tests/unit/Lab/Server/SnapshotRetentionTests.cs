using K3sLab.K3s.Server.Snapshots;

namespace K3sLab.Lab.Tests.Server;

/// <summary>k3s's snapshot names and which snapshots retention removes.</summary>
[Trait("Category", "Unit")]
public sealed class SnapshotRetentionTests
{
    private static SnapshotEntry Entry(string name) =>
        new(name, "/snapshots/" + name, 10, SnapshotName.TakenAt(name) ?? DateTimeOffset.UnixEpoch);

    [Fact]
    public void Create_IsPrefixNodeUnixSeconds()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddMilliseconds(900);
        SnapshotName.Create("on-demand", "server-1", at).Should().Be("on-demand-server-1-1700000000");
        SnapshotName.Create(SnapshotName.ScheduledPrefix, "n", at).Should().Be("etcd-snapshot-n-1700000000");
    }

    [Theory]
    [InlineData("etcd-snapshot-node-a-1700000000", 1_700_000_000L)]
    [InlineData("on-demand-n-0", 0L)]
    [InlineData("on-demand-n-17x", null)]
    [InlineData("on-demand-n-", null)]
    [InlineData("snapshot", null)]
    [InlineData("on-demand-n-+5", null)]
    public void TakenAt_ReadsTheTrailingUnixSeconds(string name, long? seconds) =>
        SnapshotName.TakenAt(name).Should().Be(seconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null);

    [Fact]
    public void Expired_KeepsTheNewestNOfTheSeries_AndNeverTouchesOthers()
    {
        SnapshotEntry[] all =
        [
            Entry("etcd-snapshot-n1-100"),
            Entry("etcd-snapshot-n1-400"),
            Entry("etcd-snapshot-n1-200"),
            Entry("etcd-snapshot-n1-300"),
            Entry("etcd-snapshot-n2-50"),
            Entry("on-demand-n1-10"),
            Entry("etcd-snapshot-n1-notatime"),
        ];

        SnapshotRetention.Expired(all, SnapshotName.Series("etcd-snapshot", "n1"), 2).Select(e => e.Name)
            .Should().Equal("etcd-snapshot-n1-200", "etcd-snapshot-n1-100");
        SnapshotRetention.Expired(all, SnapshotName.Series("etcd-snapshot", "n1"), 5).Should().BeEmpty();
        SnapshotRetention.Expired(all, SnapshotName.Series("on-demand", "n1"), 1).Should().BeEmpty();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Expired_RetentionBelowOne_KeepsEverything(int retention) =>
        SnapshotRetention.Expired([Entry("etcd-snapshot-n-1"), Entry("etcd-snapshot-n-2")], "etcd-snapshot-n-", retention).Should().BeEmpty();

    [Fact]
    public void Expired_SeriesOfANodeWhoseNameExtendsAnother_IsItsOwn()
    {
        // "n1-" must not swallow "n1-b-": after the series comes the time and nothing else.
        SnapshotEntry[] all = [Entry("etcd-snapshot-n1-b-100"), Entry("etcd-snapshot-n1-200"), Entry("etcd-snapshot-n1-300")];
        SnapshotRetention.Expired(all, SnapshotName.Series("etcd-snapshot", "n1"), 1).Select(e => e.Name).Should().Equal("etcd-snapshot-n1-200");
        SnapshotRetention.Expired(all, SnapshotName.Series("etcd-snapshot", "n1-b"), 1).Should().BeEmpty();
    }
}
