using K3sLab.K3s.Controllers;
using K3sLab.Lab.Tests.Agent;

namespace K3sLab.Lab.Tests.Controllers;

[Trait("Category", "Unit")]
public sealed class WorkQueueTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Add_SameKeyTwice_IsHandedOutOnce()
    {
        using var queue = new WorkQueue(new ManualTime(Start));
        queue.Add("a");
        queue.Add("a");
        queue.Add("b");

        (await queue.TakeAsync(CancellationToken.None)).Should().Be("a");
        (await queue.TakeAsync(CancellationToken.None)).Should().Be("b");
        queue.Count.Should().Be(0);
    }

    [Fact]
    public async Task Add_WhileTheKeyIsBeingProcessed_QueuesItAgainAfterDone()
    {
        using var queue = new WorkQueue(new ManualTime(Start));
        queue.Add("a");
        var key = await queue.TakeAsync(CancellationToken.None);

        queue.Add("a");
        queue.Count.Should().Be(0, "a key being reconciled is never handed to a second worker");

        queue.Done(key);
        queue.Count.Should().Be(1);
        (await queue.TakeAsync(CancellationToken.None)).Should().Be("a");
    }

    [Fact]
    public void AddBackoff_DoublesPerFailureUntilForgotten()
    {
        var time = new ManualTime(Start);
        using var queue = new WorkQueue(time, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        queue.AddBackoff("a");
        time.Advance(TimeSpan.FromMilliseconds(999));
        queue.Count.Should().Be(0);
        time.Advance(TimeSpan.FromMilliseconds(1));
        queue.Count.Should().Be(1);

        Drain(queue);
        queue.AddBackoff("a");
        time.Advance(TimeSpan.FromMilliseconds(1999));
        queue.Count.Should().Be(0);
        time.Advance(TimeSpan.FromMilliseconds(1));
        queue.Count.Should().Be(1);

        Drain(queue);
        queue.AddBackoff("a");
        queue.AddBackoff("a");
        queue.Failures("a").Should().Be(4);
        time.Advance(TimeSpan.FromSeconds(5));
        queue.Count.Should().Be(1, "the backoff is capped at the maximum delay");

        Drain(queue);
        queue.Forget("a");
        queue.AddBackoff("a");
        time.Advance(TimeSpan.FromSeconds(1));
        queue.Count.Should().Be(1, "forgetting resets the backoff to the base delay");
    }

    [Fact]
    public void AddAfter_EarlierDelayWins()
    {
        var time = new ManualTime(Start);
        using var queue = new WorkQueue(time);

        queue.AddAfter("a", TimeSpan.FromSeconds(10));
        queue.AddAfter("a", TimeSpan.FromSeconds(2));
        queue.AddAfter("a", TimeSpan.FromSeconds(5));
        time.Advance(TimeSpan.FromSeconds(2));

        queue.Count.Should().Be(1);
        Drain(queue);
        time.Advance(TimeSpan.FromSeconds(20));
        queue.Count.Should().Be(0, "the later delays were replaced by the earlier one");
    }

    private static void Drain(WorkQueue queue)
    {
        while (queue.Count > 0)
        {
            var key = queue.TakeAsync(CancellationToken.None).GetAwaiter().GetResult();
            queue.Done(key);
        }
    }
}
