using K3sLab.K3s.Kubelet.Node;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class HeartbeatScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Fresh_RenewsLeaseAndPostsStatusAtOnce()
    {
        var schedule = new HeartbeatSchedule();
        schedule.LeaseDue(T0).Should().BeTrue();
        schedule.StatusCheckDue(T0).Should().BeTrue();
        schedule.StatusPostDue(T0, "a").Should().BeTrue();
        schedule.Wait(T0).Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public void LeaseRenewed_IsDueAgainAfter10Seconds()
    {
        var schedule = new HeartbeatSchedule();
        schedule.LeaseRenewed(T0);
        schedule.StatusChecked(T0);
        schedule.LeaseDue(T0.AddSeconds(9.9)).Should().BeFalse();
        schedule.LeaseDue(T0.AddSeconds(10)).Should().BeTrue();
        schedule.Wait(T0.AddSeconds(4)).Should().Be(TimeSpan.FromSeconds(6));
    }

    [Fact]
    public void StatusPostDue_Unchanged_WaitsForTheFiveMinuteReport()
    {
        var schedule = new HeartbeatSchedule();
        schedule.StatusPosted(T0, "same");
        schedule.StatusPostDue(T0.AddSeconds(10), "same").Should().BeFalse();
        schedule.StatusPostDue(T0.AddMinutes(4.9), "same").Should().BeFalse();
        schedule.StatusPostDue(T0.AddMinutes(5), "same").Should().BeTrue();
    }

    [Fact]
    public void StatusPostDue_Changed_PostsAtOnce()
    {
        var schedule = new HeartbeatSchedule();
        schedule.StatusPosted(T0, "before");
        schedule.StatusPostDue(T0.AddSeconds(10), "after").Should().BeTrue();
    }

    [Fact]
    public void Failed_RetriesAfterOneSecond_ThenResumesTheSchedule()
    {
        var schedule = new HeartbeatSchedule();
        schedule.LeaseRenewed(T0);
        schedule.StatusChecked(T0);
        schedule.Failed();
        schedule.Wait(T0).Should().Be(HeartbeatSchedule.RetryInterval);
        schedule.Wait(T0).Should().Be(TimeSpan.FromSeconds(10));
    }
}
