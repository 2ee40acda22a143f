using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Etcd;

namespace K3sLab.Lab.Tests.Datastore.Etcd;

[Trait("Category", "Unit")]
public sealed class EtcdWatchCursorTests
{
    [Fact]
    public void Apply_EventsThenResume_ResumesAfterTheLastDeliveredRevision()
    {
        var cursor = new EtcdWatchCursor(startRevision: 5);
        cursor.Created(headerRevision: 9);

        var batch = cursor.Apply([Put("a", 5), Put("b", 7), Put("c", 7)], 9, canceled: false, compactRevision: 0, cancelReason: "", progressTrusted: false);

        batch!.Events.Should().HaveCount(3);
        batch.Revision.Should().Be(7);
        cursor.ResumeRevision.Should().Be(8);
    }

    [Fact]
    public void Apply_ReplayedRevisionsAfterResume_AreDroppedSoNothingIsDeliveredTwice()
    {
        var cursor = new EtcdWatchCursor(startRevision: 1);
        cursor.Apply([Put("a", 3)], 3, false, 0, "", false);

        var batch = cursor.Apply([Put("a", 3), Put("b", 4)], 4, false, 0, "", false);

        batch!.Events.Select(e => e.Kv.ModRevision).Should().Equal(4L);
    }

    [Fact]
    public void Created_FromNowWatch_StartsAfterTheCreationRevision()
    {
        var cursor = new EtcdWatchCursor(startRevision: 0);
        cursor.Mark().Should().BeNull("nothing is known before the stream exists");

        cursor.Created(headerRevision: 41);
        cursor.Created(headerRevision: 50);

        cursor.ResumeRevision.Should().Be(42, "a later stream resumes where the first began");
        cursor.Mark()!.Revision.Should().Be(41);
    }

    [Fact]
    public void Apply_UntrustedProgress_MarksOnlyWhatWasDelivered()
    {
        var cursor = new EtcdWatchCursor(startRevision: 10);

        var mark = cursor.Apply([], headerRevision: 99, canceled: false, compactRevision: 0, cancelReason: "", progressTrusted: false);

        mark!.Events.Should().BeEmpty();
        mark.Revision.Should().Be(9);
        cursor.ResumeRevision.Should().Be(10);
    }

    [Fact]
    public void Apply_TrustedProgress_AdvancesTheResumePoint()
    {
        var cursor = new EtcdWatchCursor(startRevision: 10);

        var mark = cursor.Apply([], headerRevision: 99, canceled: false, compactRevision: 0, cancelReason: "", progressTrusted: true);

        mark!.Revision.Should().Be(99);
        cursor.ResumeRevision.Should().Be(100);
    }

    [Fact]
    public void Apply_CompactedResume_EndsWithTheCanceledBatchOfTheContract()
    {
        var cursor = new EtcdWatchCursor(startRevision: 3);

        var final = cursor.Apply([], 90, canceled: true, compactRevision: 50, cancelReason: "", progressTrusted: false);

        final!.CompactRevision.Should().Be(50);
        final.IsCanceled.Should().BeTrue();
        cursor.Ended.Should().BeTrue();
        cursor.Apply([Put("a", 91)], 91, false, 0, "", false).Should().BeNull("nothing follows the final batch");
    }

    [Fact]
    public void Apply_CanceledWithReason_EndsWithThatReason()
    {
        var cursor = new EtcdWatchCursor(startRevision: 3);

        var final = cursor.Apply([], 5, canceled: true, compactRevision: 0, cancelReason: "permission denied", progressTrusted: false);

        final!.CancelReason.Should().Be("permission denied");
        final.CompactRevision.Should().Be(0);
    }

    [Theory]
    [InlineData("3.4.23", false)]
    [InlineData("3.4.31", true)]
    [InlineData("3.5.12", false)]
    [InlineData("3.5.13", true)]
    [InlineData("3.6.0", true)]
    [InlineData("3.3.27", false)]
    [InlineData("garbage", false)]
    public void OrdersProgressNotifications_ByVersion_FollowsTheEtcdFix(string version, bool expected)
    {
        EtcdVersion.OrdersProgressNotifications(version).Should().Be(expected);
    }

    private static WatchEvent Put(string key, long revision) =>
        new(false, new KeyValue(System.Text.Encoding.UTF8.GetBytes(key), revision, revision, 1, [], 0), null);
}
