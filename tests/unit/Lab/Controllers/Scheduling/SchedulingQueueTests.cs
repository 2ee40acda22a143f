using K3sLab.K3s.Controllers.Scheduling;

namespace K3sLab.Lab.Tests.Controllers.Scheduling;

[Trait("Category", "Unit")]
public sealed class SchedulingQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Backoff_DoublesFromOneSecondUpToTen()
    {
        Enumerable.Range(1, 6).Select(SchedulingQueue.Backoff).Select(d => d.TotalSeconds).Should().Equal(1, 2, 4, 8, 10, 10);
    }

    [Fact]
    public void Pop_HigherPriorityFirst_ThenFirstCome()
    {
        var queue = new SchedulingQueue();
        queue.Add("ns/low", 0, T0);
        queue.Add("ns/high", 100, T0);
        queue.Add("ns/low2", 0, T0);

        new[] { queue.Pop(T0), queue.Pop(T0), queue.Pop(T0), queue.Pop(T0) }.Should().Equal("ns/high", "ns/low", "ns/low2", null);
    }

    [Fact]
    public void Unschedulable_WaitsForAnEvent_NotForTime()
    {
        var queue = new SchedulingQueue();
        queue.Add("ns/p", 0, T0);
        queue.Pop(T0).Should().Be("ns/p");
        queue.Unschedulable("ns/p", T0);

        queue.Pop(T0.AddSeconds(30)).Should().BeNull();
        queue.NextWake(T0.AddSeconds(30)).Should().Be(TimeSpan.FromSeconds(270), "only the 5-minute flush is due by time");

        queue.MoveAll(T0.AddSeconds(30));
        queue.Pop(T0.AddSeconds(30)).Should().Be("ns/p");
    }

    [Fact]
    public void MoveAll_DuringBackoff_WaitsForTheBackoffToEnd()
    {
        var queue = new SchedulingQueue();
        queue.Add("ns/p", 0, T0);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var at = T0.AddMinutes(attempt);
            queue.MoveAll(at);
            queue.Pop(at).Should().Be("ns/p");
            queue.Unschedulable("ns/p", at);
        }

        var last = T0.AddMinutes(3);
        queue.MoveAll(last.AddMilliseconds(100));

        queue.Pop(last.AddSeconds(1)).Should().BeNull("three failures back off 4 s");
        queue.NextWake(last.AddSeconds(1)).Should().Be(TimeSpan.FromSeconds(3));
        queue.Pop(last.AddSeconds(4)).Should().Be("ns/p");
    }

    [Fact]
    public void Flush_AfterFiveMinutesUnschedulable_RetriesWithoutAnEvent()
    {
        var queue = new SchedulingQueue();
        queue.Add("ns/p", 0, T0);
        queue.Pop(T0);
        queue.Unschedulable("ns/p", T0);

        queue.Pop(T0.AddMinutes(5).AddSeconds(-1)).Should().BeNull();
        queue.Pop(T0.AddMinutes(5)).Should().Be("ns/p");
    }

    [Fact]
    public void Unschedulable_AfterAnEventDuringTheAttempt_BacksOffInsteadOfWaiting()
    {
        var queue = new SchedulingQueue();
        queue.Add("ns/p", 0, T0);
        queue.Pop(T0);
        queue.MoveAll(T0);
        queue.Unschedulable("ns/p", T0);

        queue.Counts.Should().Be((0, 1, 0, 0));
        queue.Pop(T0.AddSeconds(1)).Should().Be("ns/p");
    }

    [Fact]
    public void Failed_BacksOffAndRetries()
    {
        var queue = new SchedulingQueue();
        queue.Add("ns/p", 0, T0);
        queue.Pop(T0);
        queue.Failed("ns/p", T0);

        queue.Pop(T0.AddMilliseconds(999)).Should().BeNull();
        queue.Pop(T0.AddSeconds(1)).Should().Be("ns/p");
    }

    [Fact]
    public void Add_ForAnUnschedulablePod_RetriesIt_AndRemoveForgetsIt()
    {
        var queue = new SchedulingQueue();
        queue.Add("ns/p", 0, T0);
        queue.Pop(T0);
        queue.Unschedulable("ns/p", T0);

        queue.Add("ns/p", 0, T0.AddSeconds(5));
        queue.Counts.Should().Be((1, 0, 0, 0));
        queue.Remove("ns/p");
        queue.Pop(T0.AddSeconds(5)).Should().BeNull();
        queue.NextWake(T0.AddSeconds(5)).Should().BeNull("an empty queue sleeps until an event");
    }

    [Fact]
    public void Done_RemovesThePod()
    {
        var queue = new SchedulingQueue();
        queue.Add("ns/p", 0, T0);
        queue.Pop(T0);
        queue.Done("ns/p");

        queue.Contains("ns/p").Should().BeFalse();
        queue.MoveAll(T0);
        queue.Pop(T0).Should().BeNull();
    }
}
