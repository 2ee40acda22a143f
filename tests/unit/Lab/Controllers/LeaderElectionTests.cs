using K3sLab.K3s.Controllers.Election;

namespace K3sLab.Lab.Tests.Controllers;

[Trait("Category", "Unit")]
public sealed class LeaderElectionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);

    [Fact]
    public void Decide_NoLease_CreatesOneHeldByItself()
    {
        var step = new LeaderElection("a", Lease).Decide(null, T0);

        step.Action.Should().Be(ElectionAction.Create);
        step.Record!.Holder.Should().Be("a");
        step.Record.DurationSeconds.Should().Be(15);
        step.Record.Transitions.Should().Be(0);
    }

    [Fact]
    public void Decide_AnotherHoldsARenewedLease_Waits()
    {
        var b = new LeaderElection("b", Lease);
        var held = new LeaseRecord("a", 15, T0, T0, 0);

        b.Decide(held, T0).Action.Should().Be(ElectionAction.Wait);
        b.Decide(held with { RenewTime = T0.AddSeconds(10) }, T0.AddSeconds(10)).Action.Should().Be(ElectionAction.Wait);
        b.Decide(held with { RenewTime = T0.AddSeconds(20) }, T0.AddSeconds(24)).Action.Should().Be(ElectionAction.Wait, "the lease changed at 24 s by this candidate's clock");
    }

    [Fact]
    public void Decide_LeaseUnchangedForItsDuration_TakesItOverAndCountsATransition()
    {
        var b = new LeaderElection("b", Lease);
        var held = new LeaseRecord("a", 15, T0, T0, 3);
        b.Decide(held, T0.AddSeconds(100)).Action.Should().Be(ElectionAction.Wait, "expiry counts from when this candidate first saw the record, not from its renewTime");

        b.Decide(held, T0.AddSeconds(114.9)).Action.Should().Be(ElectionAction.Wait);
        var step = b.Decide(held, T0.AddSeconds(115));

        step.Action.Should().Be(ElectionAction.Update);
        step.Record!.Holder.Should().Be("b");
        step.Record.Transitions.Should().Be(4);
        step.Record.AcquireTime.Should().Be(T0.AddSeconds(115));
    }

    [Fact]
    public void Decide_OwnLease_RenewsKeepingAcquireTimeAndTransitions()
    {
        var a = new LeaderElection("a", Lease);
        var mine = new LeaseRecord("a", 15, T0, T0.AddSeconds(4), 2);

        var step = a.Decide(mine, T0.AddSeconds(6));

        step.Action.Should().Be(ElectionAction.Update);
        step.Record.Should().Be(new LeaseRecord("a", 15, T0, T0.AddSeconds(6), 2));
    }

    [Fact]
    public void Decide_ReleasedLease_IsTakenAtOnce()
    {
        var b = new LeaderElection("b", Lease);
        var released = LeaderElection.Released(new LeaseRecord("a", 15, T0, T0, 1), T0.AddSeconds(1));

        b.Decide(released, T0.AddSeconds(1)).Action.Should().Be(ElectionAction.Update);
    }

    [Fact]
    public void LeaseRecord_RoundTripsThroughTheSpec()
    {
        var record = new LeaseRecord("a_1", 15, T0.AddTicks(123450), T0.AddSeconds(2), 5);

        LeaseRecord.FromSpec(record.ToSpec()).Should().Be(record);
        record.ToSpec()["renewTime"]!.GetValue<string>().Should().Be("2026-12-01T00:00:02.000000Z");
    }
}
