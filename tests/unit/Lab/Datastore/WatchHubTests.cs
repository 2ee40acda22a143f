using K3sLab.K3s.Store;
using static K3sLab.Lab.Tests.Datastore.TempStore;

namespace K3sLab.Lab.Tests.Datastore;

/// <summary>Watches on a real SQLite store: order, history catch-up, slow watchers, compaction and progress marks.</summary>
[Trait("Category", "Integration")]
public sealed class WatchHubTests
{
    [Fact]
    public async Task Watch_FromPastRevision_DeliversHistoryThenLiveInOrderWithPrevKv()
    {
        await using var t = new TempStore();
        await t.PutAsync("w/a", "1");
        await t.PutAsync("w/a", "2");
        await t.PutAsync("other", "x");
        using var watch = t.Store.Watch(new WatchRequest(KeyRange.Prefix(B("w/")), StartRevision: 2) { PrevKv = true });
        await t.DeleteAsync("w/a");
        var events = await CollectAsync(watch, 3);
        events.Select(e => (e.IsDelete, e.Kv.ModRevision)).Should().Equal((false, 2L), (false, 3L), (true, 5L));
        S(events[2].PrevKv!.Value).Should().Be("2");
        events[0].PrevKv.Should().BeNull("the key did not exist before its creation");
    }

    [Fact]
    public async Task Watch_SlowWatcher_NeverBlocksOthersAndCatchesUpWithoutGaps()
    {
        await using var t = new TempStore();
        using var slow = t.Store.Watch(new WatchRequest(KeyRange.Prefix(B("s/"))));
        using var fast = t.Store.Watch(new WatchRequest(KeyRange.Prefix(B("s/"))));
        const int writes = 3000;
        var fastEvents = CollectAsync(fast, writes);
        await Task.WhenAll(Enumerable.Range(0, writes).Select(i => t.PutAsync($"s/{i % 100}", $"{i}")));
        (await fastEvents).Select(e => e.Kv.ModRevision).Should().Equal(Enumerable.Range(2, writes).Select(i => (long)i));

        // The slow watcher read nothing while 3,000 revisions went by; it still gets every one, in order.
        (await CollectAsync(slow, writes)).Select(e => e.Kv.ModRevision).Should().Equal(Enumerable.Range(2, writes).Select(i => (long)i));
    }

    [Fact]
    public async Task Watch_FromCompactedRevision_EndsWithCompactRevision()
    {
        await using var t = new TempStore();
        for (var i = 0; i < 5; i++)
        {
            await t.PutAsync("c", $"{i}");
        }

        await t.Store.CompactAsync(4, CancellationToken.None);
        using var watch = t.Store.Watch(new WatchRequest(KeyRange.Single(B("c")), StartRevision: 2));
        var batch = await watch.Batches.ReadAsync(TestContext.Current.CancellationToken);
        (batch.IsCanceled, batch.CompactRevision).Should().Be((true, 4L));
        (await watch.Batches.WaitToReadAsync(TestContext.Current.CancellationToken)).Should().BeFalse("the watch ends after the canceled batch");
    }

    [Fact]
    public async Task RequestProgress_SyncedWatcher_MarksRevisionAfterEveryEarlierEvent()
    {
        await using var t = new TempStore();
        using var watch = t.Store.Watch(new WatchRequest(KeyRange.Prefix(B("p/"))));
        await t.PutAsync("p/1", "x");
        await t.PutAsync("elsewhere", "x");
        await SqliteStoreTests.WaitUntilAsync(() => Task.FromResult(((K3s.Store.Sql.SqlStore)t.Store).CurrentRevision == 3), "both writes commit");
        var seen = new List<WatchBatch>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!seen.Any(b => b.Events.Count == 0 && b.Revision >= 3) && DateTime.UtcNow < deadline)
        {
            watch.RequestProgress();
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                seen.Add(await watch.Batches.ReadAsync(wait.Token));
            }
            catch (OperationCanceledException)
            {
            }
        }

        seen.Should().Contain(b => b.Events.Count == 0 && b.Revision >= 3);

        // The guarantee: a progress mark at revision R comes after every event at or below R. A mark at the
        // watcher's earlier revision may come before the event, as etcd's may.
        var events = seen.SelectMany((b, i) => b.Events.Select(e => (Batch: i, e.Kv.ModRevision))).ToList();
        events.Select(e => e.ModRevision).Should().Equal(2L);
        foreach (var (mark, index) in seen.Select((b, i) => (b, i)).Where(m => m.b.Events.Count == 0))
        {
            // FluentAssertions' OnlyContain fails on an empty set, which is exactly an early mark covering no event.
            events.Where(e => e.ModRevision <= mark.Revision && e.Batch >= index).Should().BeEmpty($"the mark at revision {mark.Revision} (batch {index}) must follow the events it covers");
        }
    }

    private static async Task<List<WatchEvent>> CollectAsync(IStoreWatch watch, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<WatchEvent>();
        while (events.Count < count)
        {
            var batch = await watch.Batches.ReadAsync(timeout.Token);
            batch.IsCanceled.Should().BeFalse(batch.CancelReason);
            events.AddRange(batch.Events);
        }

        return events;
    }
}
