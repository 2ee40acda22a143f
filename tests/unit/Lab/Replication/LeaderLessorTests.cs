using K3sLab.K3s.Replication.Host;

namespace K3sLab.Lab.Tests.Replication;

[Trait("Category", "Unit")]
public sealed class LeaderLessorTests
{
    [Fact]
    public void Expired_WallClockJumpsADayForward_NoLeaseExpires()
    {
        var time = new SteppedTime();
        var lessor = new LeaderLessor(time);
        lessor.Promote([(1, 10), (2, 60)]);

        time.JumpWallClock(TimeSpan.FromDays(1));

        lessor.Expired().Should().BeEmpty("lease time is measured on the monotonic clock, not the wall clock");
        lessor.Remaining(1).Should().Be(10);
    }

    [Fact]
    public void Expired_MonotonicTimePassesTheTtl_OnlyThatLeaseExpires()
    {
        var time = new SteppedTime();
        var lessor = new LeaderLessor(time);
        lessor.Promote([(1, 10), (2, 60)]);

        time.Advance(TimeSpan.FromSeconds(11));

        lessor.Expired().Should().Equal(1L);
    }

    [Fact]
    public void KeepAlive_BeforeExpiry_RestartsTheFullTtl()
    {
        var time = new SteppedTime();
        var lessor = new LeaderLessor(time);
        lessor.Promote([(1, 10)]);
        time.Advance(TimeSpan.FromSeconds(9));

        lessor.KeepAlive(1).Should().Be(10);
        time.Advance(TimeSpan.FromSeconds(9));

        lessor.Expired().Should().BeEmpty();
        lessor.KeepAlive(99).Should().Be(0, "an unknown lease renews to TTL 0, as etcd answers");
    }

    [Fact]
    public void KeepAlive_NotLeading_ReturnsNull()
    {
        var lessor = new LeaderLessor(new SteppedTime());
        lessor.Promote([(1, 10)]);
        lessor.Demote();

        lessor.KeepAlive(1).Should().BeNull();
        lessor.Expired().Should().BeEmpty();
    }

    /// <summary>A clock whose wall time and monotonic time the test moves separately.</summary>
    private sealed class SteppedTime : TimeProvider
    {
        private DateTimeOffset _wall = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override DateTimeOffset GetUtcNow() => _wall;

        public override long GetTimestamp() => _ticks;

        public void JumpWallClock(TimeSpan by) => _wall += by;

        public void Advance(TimeSpan by)
        {
            _wall += by;
            _ticks += by.Ticks;
        }
    }
}
