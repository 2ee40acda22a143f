using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql.Sqlite;
using static K3sLab.Lab.Tests.Datastore.TempStore;

namespace K3sLab.Lab.Tests.Datastore;

/// <summary>The SQLite store's etcd semantics on a real file: revisions, transactions, ranges, compaction, leases and restarts.</summary>
[Trait("Category", "Integration")]
public sealed class SqliteStoreTests
{
    [Fact]
    public async Task Put_NewStore_StartsAtRevisionOneAndCountsVersions()
    {
        await using var t = new TempStore();
        t.Store.CurrentRevision.Should().Be(1);
        (await t.PutAsync("a", "1")).Revision.Should().Be(2);
        (await t.PutAsync("a", "2")).Revision.Should().Be(3);
        var kv = (await t.GetAsync("a")).Kvs.Single();
        (kv.CreateRevision, kv.ModRevision, kv.Version, S(kv.Value)).Should().Be((2L, 3L, 2L, "2"));
        S((await t.GetAsync("a", revision: 2)).Kvs.Single().Value).Should().Be("1");
    }

    [Fact]
    public async Task Txn_SeveralWrites_ShareOneRevision()
    {
        await using var t = new TempStore();
        var result = await t.Store.TxnAsync(new TxnRequest([], [new PutOp(B("x"), B("1")), new PutOp(B("y"), B("2")), new DeleteOp(KeyRange.Single(B("none")))], []), CancellationToken.None);
        result.Revision.Should().Be(2);
        var all = await t.Store.RangeAsync(new RangeQuery(new KeyRange([0], [0])), CancellationToken.None);
        all.Kvs.Select(k => k.ModRevision).Should().Equal(2, 2);
    }

    [Fact]
    public async Task Txn_CompareOnModRevision_PicksBranchLikeEtcd()
    {
        await using var t = new TempStore();
        await t.PutAsync("k", "v");
        var stale = new TxnRequest([new Compare(KeyRange.Single(B("k")), CompareTarget.Mod, CompareResult.Equal, 1, [])], [new PutOp(B("k"), B("new"))], [new RangeOp(new RangeQuery(KeyRange.Single(B("k"))))]);
        var failed = await t.Store.TxnAsync(stale, CancellationToken.None);
        failed.Succeeded.Should().BeFalse();
        failed.Revision.Should().Be(2, "a transaction that only reads creates no revision");
        S(((RangeResult)failed.Responses[0]).Kvs.Single().Value).Should().Be("v");

        var current = stale with { Compares = [stale.Compares[0] with { Number = 2 }] };
        (await t.Store.TxnAsync(current, CancellationToken.None)).Succeeded.Should().BeTrue();

        var missingValue = new TxnRequest([new Compare(KeyRange.Single(B("absent")), CompareTarget.Value, CompareResult.Equal, 0, [])], [], []);
        (await t.Store.TxnAsync(missingValue, CancellationToken.None)).Succeeded.Should().BeFalse("a value compare on a missing key fails in etcd");
        var createZero = new TxnRequest([new Compare(KeyRange.Single(B("absent")), CompareTarget.Create, CompareResult.Equal, 0, [])], [], []);
        (await t.Store.TxnAsync(createZero, CancellationToken.None)).Succeeded.Should().BeTrue("a missing key has create revision 0");
    }

    [Fact]
    public async Task Txn_FailingOperation_RollsBackAloneAndKeepsTheBatch()
    {
        await using var t = new TempStore();
        var bad = t.Store.TxnAsync(new TxnRequest([], [new PutOp(B("a"), B("1")), new PutOp(B("b"), B("2"), Lease: 42)], []), CancellationToken.None);
        var good = t.PutAsync("c", "3");
        (await bad.Invoking(async b => await b).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.LeaseNotFound);
        (await good).Revision.Should().Be(2, "the failed transaction handed its revision back");
        (await t.GetAsync("a")).Kvs.Should().BeEmpty();
    }

    [Fact]
    public async Task Txn_InvalidShapes_FailWithEtcdErrors()
    {
        await using var t = new TempStore();
        var duplicate = new TxnRequest([], [new PutOp(B("a"), B("1")), new PutOp(B("a"), B("2"))], []);
        (await t.Store.Invoking(s => s.TxnAsync(duplicate, CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.DuplicateKey);
        var overlap = new TxnRequest([], [new DeleteOp(KeyRange.Prefix(B("a"))), new PutOp(B("ab"), B("2"))], []);
        (await t.Store.Invoking(s => s.TxnAsync(overlap, CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.DuplicateKey);
        var tooMany = new TxnRequest([], [.. Enumerable.Range(0, 129).Select(i => (TxnOp)new PutOp(B($"k{i}"), B("v")))], []);
        (await t.Store.Invoking(s => s.TxnAsync(tooMany, CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.TooManyOps);
        var ignoreMissing = TxnRequest.Of(new PutOp(B("missing"), []) { IgnoreValue = true });
        (await t.Store.Invoking(s => s.TxnAsync(ignoreMissing, CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.KeyNotFound);
        (await t.Store.Invoking(s => s.RangeAsync(new RangeQuery(KeyRange.Single([])), CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.EmptyKey);
    }

    [Fact]
    public async Task Range_LimitAndCount_MatchEtcd()
    {
        await using var t = new TempStore();
        foreach (var k in new[] { "p/a", "p/b", "p/c", "q" })
        {
            await t.PutAsync(k, k);
        }

        await t.DeleteAsync("p/b");
        var page = await t.PrefixAsync("p/", limit: 1);
        page.Kvs.Select(k => S(k.Key)).Should().Equal("p/a");
        (page.More, page.Count, page.Revision).Should().Be((true, 2L, 6L));
        var all = await t.PrefixAsync("p/", revision: 4);
        all.Kvs.Select(k => S(k.Key)).Should().Equal("p/a", "p/b", "p/c");
        var countOnly = await t.Store.RangeAsync(new RangeQuery(KeyRange.Prefix(B("p/"))) { CountOnly = true }, CancellationToken.None);
        (countOnly.Kvs.Count, countOnly.Count).Should().Be((0, 2L));
        var byMod = await t.Store.RangeAsync(new RangeQuery(KeyRange.Prefix(B("p/"))) { SortTarget = SortTarget.Mod, SortOrder = SortOrder.Descend }, CancellationToken.None);
        byMod.Kvs.Select(k => S(k.Key)).Should().Equal("p/c", "p/a");
        (await t.Store.Invoking(s => s.RangeAsync(new RangeQuery(KeyRange.Single(B("q")), 99), CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.FutureRevision);
    }

    [Fact]
    public async Task Compact_DeletesSupersededHistory_KeepsEachKeysNewestVersion()
    {
        await using var t = new TempStore();
        for (var i = 0; i < 50; i++)
        {
            await t.PutAsync($"k{i % 5}", $"v{i}");
        }

        await t.PutAsync("gone", "x");
        await t.DeleteAsync("gone");
        var compactAt = t.Store.CurrentRevision;
        await t.PutAsync("k0", "after");
        await t.Store.CompactAsync(compactAt, CancellationToken.None);
        (await t.Store.Invoking(s => s.RangeAsync(new RangeQuery(KeyRange.Single(B("k1")), compactAt - 1), CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.Compacted);
        (await t.Store.Invoking(s => s.CompactAsync(compactAt, CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.Compacted);

        await WaitUntilAsync(async () => (await RowCountAsync(t)) == 6, "compaction leaves the 5 keys' newest versions at the compacted revision plus the later write");
        var atCompact = await t.PrefixAsync("k", revision: compactAt);
        atCompact.Kvs.Select(k => S(k.Value)).Should().Equal("v45", "v46", "v47", "v48", "v49");
        S((await t.GetAsync("k0")).Kvs.Single().Value).Should().Be("after");
    }

    [Fact]
    public async Task Reopen_KeepsRevisionDataLeasesAndCompaction()
    {
        await using var t = new TempStore();
        var lease = await t.Store.GrantLeaseAsync(0, 600, CancellationToken.None);
        await t.PutAsync("a", "1", lease.Id);
        await t.PutAsync("a", "2", lease.Id);
        await t.DeleteAsync("a");
        await t.PutAsync("b", "1", lease.Id);
        await t.Store.CompactAsync(3, CancellationToken.None);
        await t.ReopenAsync();
        t.Store.CurrentRevision.Should().Be(5);
        t.Store.CompactRevision.Should().Be(3);
        (await t.Store.TimeToLiveAsync(lease.Id, withKeys: true, CancellationToken.None))!.Keys.Select(S).Should().Equal("b");
        await t.Store.RevokeLeaseAsync(lease.Id, CancellationToken.None);
        (await t.GetAsync("b")).Kvs.Should().BeEmpty();
        t.Store.CurrentRevision.Should().Be(6);
    }

    [Fact]
    public async Task Lease_Expiry_RevokesAndDeletesAttachedKeysAtOneRevision()
    {
        await using var t = new TempStore(new SqliteStoreOptions(string.Empty) { MinLeaseTtl = 1 });
        var lease = await t.Store.GrantLeaseAsync(0, 1, CancellationToken.None);
        lease.Ttl.Should().Be(1);
        await t.PutAsync("l1", "x", lease.Id);
        await t.PutAsync("l2", "x", lease.Id);
        await WaitUntilAsync(async () => (await t.PrefixAsync("l")).Count == 0, "the expired lease's keys are deleted");
        t.Store.CurrentRevision.Should().Be(4, "both keys go in one revision");
        (await t.Store.TimeToLiveAsync(lease.Id, false, CancellationToken.None)).Should().BeNull();
        (await t.Store.Invoking(s => s.RevokeLeaseAsync(lease.Id, CancellationToken.None)).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.LeaseNotFound);
    }

    [Fact]
    public void Open_NotASqliteFile_RefusesWithOneSentence()
    {
        var folder = Directory.CreateTempSubdirectory("k3slab-store-");
        try
        {
            var path = Path.Combine(folder.FullName, "state.db");
            File.WriteAllText(path, "this is not a database, and it must survive");
            var open = () => SqliteStore.Open(new SqliteStoreOptions(path), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            open.Should().Throw<StoreException>().WithMessage("*is not a SQLite database; refusing to overwrite it*");
            File.ReadAllText(path).Should().Be("this is not a database, and it must survive");
            var onFolder = () => SqliteStore.Open(new SqliteStoreOptions(folder.FullName), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            onFolder.Should().Throw<StoreException>().WithMessage("*is a folder*");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<long> RowCountAsync(TempStore t)
    {
        await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={t.Path0};Mode=ReadOnly;Pooling=False");
        db.Open();
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM kv";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {what}");
            }

            await Task.Delay(50);
        }
    }
}
