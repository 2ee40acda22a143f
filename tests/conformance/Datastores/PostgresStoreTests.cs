using System.Text;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql;
using K3sLab.K3s.Store.Sql.Postgres;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ConformanceTests.Datastores;

/// <summary>
/// The shared SQL store on a real PostgreSQL, in-process: the database created on first open, two stores (two
/// servers) on one database seeing each other's writes, watches and compactions, concurrent compare-and-swap
/// writers losing nothing, shared leases, reconnection after a PostgreSQL restart, and refusals that name the
/// endpoint with its password redacted.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class PostgresStoreTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string S(byte[] b) => Encoding.UTF8.GetString(b);

    private SqlStore Open(string database, Func<PostgresStoreOptions, PostgresStoreOptions>? configure = null)
    {
        var options = new PostgresStoreOptions(postgres.Endpoint(database)) { AutoCompactInterval = TimeSpan.Zero, MinLeaseTtl = 1 };
        return PostgresStore.Open(configure is null ? options : configure(options), NullLogger.Instance);
    }

    private static string NewDatabase() => "t" + Guid.NewGuid().ToString("N")[..12];

    private static Task<TxnResult> PutAsync(SqlStore store, string key, string value, long lease = 0) =>
        store.TxnAsync(TxnRequest.Of(new PutOp(B(key), B(value), lease)), CancellationToken.None);

    private static async Task<string?> GetAsync(SqlStore store, string key) =>
        (await store.RangeAsync(new RangeQuery(KeyRange.Single(B(key))), CancellationToken.None)).Kvs.SingleOrDefault() is { } kv ? S(kv.Value) : null;

    [Fact]
    public async Task Open_MissingDatabase_CreatesItAndServesEtcdSemantics()
    {
        var database = NewDatabase();
        await using (var store = Open(database))
        {
            store.CurrentRevision.Should().Be(1);
            (await PutAsync(store, "a", "1")).Revision.Should().Be(2);
            (await PutAsync(store, "a", "2")).Revision.Should().Be(3);
            var txn = await store.TxnAsync(new TxnRequest([], [new PutOp(B("x"), B("1")), new PutOp(B("y"), B("2"))], []), CancellationToken.None);
            txn.Revision.Should().Be(4, "one transaction is one revision");
            var kv = (await store.RangeAsync(new RangeQuery(KeyRange.Single(B("a"))), CancellationToken.None)).Kvs.Single();
            (kv.CreateRevision, kv.ModRevision, kv.Version).Should().Be((2L, 3L, 2L));
            S((await store.RangeAsync(new RangeQuery(KeyRange.Single(B("a")), 2), CancellationToken.None)).Kvs.Single().Value).Should().Be("1");
            var keysOnly = await store.RangeAsync(new RangeQuery(new KeyRange([0], [0])) { KeysOnly = true }, CancellationToken.None);
            keysOnly.Kvs.Select(k => S(k.Key)).Should().Equal("a", "x", "y");
            keysOnly.Kvs.Should().OnlyContain(k => k.Value.Length == 0);
        }

        (await postgres.PsqlAsync($"SELECT count(*) FROM pg_database WHERE datname = '{database}'")).Should().Be("1");
        await using var reopened = Open(database);
        reopened.CurrentRevision.Should().Be(4, "the history survives a restart");
    }

    [Fact]
    public async Task TwoStores_OneDatabase_ReadAndWatchEachOthersWrites()
    {
        var database = NewDatabase();
        await using var one = Open(database);
        await using var two = Open(database);
        using var watch = two.Watch(new WatchRequest(KeyRange.Prefix(B("/registry/"))) { PrevKv = true });

        var put = await PutAsync(one, "/registry/cm/a", "from-one");
        (await GetAsync(two, "/registry/cm/a")).Should().Be("from-one", "a read sees every committed write, whichever server made it");
        two.CurrentRevision.Should().BeGreaterThanOrEqualTo(put.Revision);

        var second = await PutAsync(two, "/registry/cm/a", "from-two");
        second.Revision.Should().Be(put.Revision + 1, "revisions stay dense across servers");
        (await GetAsync(one, "/registry/cm/a")).Should().Be("from-two");

        var events = new List<WatchEvent>();
        using var timeout = new CancellationTokenSource(Within);
        while (events.Count < 2)
        {
            var batch = await watch.Batches.ReadAsync(timeout.Token);
            events.AddRange(batch.Events);
        }

        events.Select(e => (S(e.Kv.Value), e.Kv.ModRevision)).Should().Equal(("from-one", put.Revision), ("from-two", second.Revision));
        S(events[1].PrevKv!.Value).Should().Be("from-one");
    }

    [Fact]
    public async Task TwoStores_ConcurrentCompareAndSwap_LoseNoUpdate()
    {
        var database = NewDatabase();
        await using var one = Open(database);
        await using var two = Open(database);
        await PutAsync(one, "counter", "0");
        const int perStore = 60;
        var revisions = new System.Collections.Concurrent.ConcurrentBag<long>();

        async Task IncrementAsync(SqlStore store)
        {
            for (var done = 0; done < perStore;)
            {
                var current = (await store.RangeAsync(new RangeQuery(KeyRange.Single(B("counter"))), CancellationToken.None)).Kvs.Single();
                var next = (int.Parse(S(current.Value), System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var txn = new TxnRequest([new Compare(KeyRange.Single(B("counter")), CompareTarget.Mod, CompareResult.Equal, current.ModRevision, [])], [new PutOp(B("counter"), B(next))], []);
                var result = await store.TxnAsync(txn, CancellationToken.None);
                if (result.Succeeded)
                {
                    revisions.Add(result.Revision);
                    done++;
                }
            }
        }

        await Task.WhenAll(Task.Run(() => IncrementAsync(one), TestContext.Current.CancellationToken), Task.Run(() => IncrementAsync(two), TestContext.Current.CancellationToken));
        (await GetAsync(one, "counter")).Should().Be((2 * perStore).ToString(System.Globalization.CultureInfo.InvariantCulture));
        revisions.Should().OnlyHaveUniqueItems("no two servers' writes may share a revision");
        (await postgres.PsqlAsync("SELECT count(*) FROM kv", database)).Should().Be((2 * perStore + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Compact_OnOneStore_FailsOldReadsOnTheOtherAndDeletesHistory()
    {
        var database = NewDatabase();
        await using var one = Open(database);
        await using var two = Open(database);
        for (var i = 0; i < 10; i++)
        {
            await PutAsync(one, "k", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var revision = one.CurrentRevision;
        await one.CompactAsync(revision - 2, CancellationToken.None);
        var old = () => two.RangeAsync(new RangeQuery(KeyRange.Single(B("k")), revision - 5), CancellationToken.None);
        (await old.Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.Compacted);
        (await GetAsync(two, "k")).Should().Be("9");
        (await two.CompactAsync(revision - 3, CancellationToken.None).Invoking(async t => await t).Should().ThrowAsync<StoreException>()).Which.Error.Should().Be(StoreError.Compacted);
        await Eventually.TrueAsync(() => one.CompactedThrough >= revision - 2, Within, "the compacted history is deleted", CancellationToken.None);
        (await postgres.PsqlAsync("SELECT count(*) FROM kv", database)).Should().Be("3", "the newest version at the compacted revision and the two after it remain");
    }

    [Fact]
    public async Task Lease_KeptAliveByTheOtherStore_IsNotRevokedUntilItExpires()
    {
        var database = NewDatabase();
        await using var one = Open(database);
        await using var two = Open(database);
        var lease = await one.GrantLeaseAsync(0, 2, CancellationToken.None);
        await PutAsync(one, "leased", "v", lease.Id);
        (await GetAsync(two, "leased")).Should().Be("v");

        var until = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < until)
        {
            (await two.KeepAliveAsync(lease.Id, CancellationToken.None)).Should().Be(2);
            await Task.Delay(400, TestContext.Current.CancellationToken);
        }

        (await GetAsync(one, "leased")).Should().Be("v", "the other server's renewals reach the lease table");
        await Eventually.TrueAsync(() => GetAsync(one, "leased").GetAwaiter().GetResult() is null, Within, "the lease expires once nobody renews it", CancellationToken.None);
        (await one.KeepAliveAsync(lease.Id, CancellationToken.None)).Should().Be(0);
    }

    [Fact]
    public async Task Restart_UnderAWriteLoop_ReconnectsAndKeepsEveryAcknowledgedWrite()
    {
        var database = NewDatabase();
        await using var store = Open(database);
        using var watch = store.Watch(new WatchRequest(KeyRange.Prefix(B("w/"))));
        var acknowledged = new List<string>();
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"w/{i:D6}";
                try
                {
                    await PutAsync(store, key, "v");
                    lock (acknowledged)
                    {
                        acknowledged.Add(key);
                    }
                }
                catch (StoreException)
                {
                    Interlocked.Increment(ref failures);
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        }, CancellationToken.None);

        await Eventually.TrueAsync(() => Count() >= 20, Within, "writes succeed before the restart", CancellationToken.None);
        await postgres.RestartAsync();
        var afterRestart = Count();
        await Eventually.TrueAsync(() => Count() >= afterRestart + 20, TimeSpan.FromSeconds(30), "writes succeed again after PostgreSQL restarted", CancellationToken.None);
        await stop.CancelAsync();
        await loop;

        var stored = (await store.RangeAsync(new RangeQuery(KeyRange.Prefix(B("w/"))), CancellationToken.None)).Kvs.Select(k => S(k.Key)).ToHashSet();
        stored.Should().Contain(acknowledged, "every acknowledged write is durable");

        var watched = new HashSet<string>();
        using var timeout = new CancellationTokenSource(Within);
        while (!acknowledged.All(watched.Contains))
        {
            foreach (var e in (await watch.Batches.ReadAsync(timeout.Token)).Events)
            {
                watched.Add(S(e.Kv.Key));
            }
        }

        int Count()
        {
            lock (acknowledged)
            {
                return acknowledged.Count;
            }
        }
    }

    [Fact]
    public void Open_WrongPassword_FailsAtOnceNamingTheEndpointRedacted()
    {
        var options = new PostgresStoreOptions(postgres.Endpoint("k3s", password: "wrong-secret"));
        var started = DateTime.UtcNow;
        var open = () => PostgresStore.Open(options, NullLogger.Instance);
        var error = open.Should().Throw<StoreException>().Which;
        error.Message.Should().Contain($"postgres://k3s:***@127.0.0.1:{postgres.Port}/k3s").And.Contain("password").And.NotContain("wrong-secret");
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(10), "wrong credentials are not retried");
    }

    [Fact]
    public async Task Open_DatabaseOfAnotherSchema_IsRefused()
    {
        var database = NewDatabase();
        await postgres.PsqlAsync($"CREATE DATABASE {database} OWNER {PostgresServer.User}");
        await postgres.PsqlAsync($"CREATE TABLE kv (id INTEGER PRIMARY KEY, data TEXT); ALTER TABLE kv OWNER TO {PostgresServer.User}", database);
        var open = () => Open(database);
        open.Should().Throw<StoreException>().WithMessage("*cannot be used*'kv'*new database*");

        var kine = NewDatabase();
        await postgres.PsqlAsync($"CREATE DATABASE {kine} OWNER {PostgresServer.User}");
        await postgres.PsqlAsync("CREATE TABLE kine (id BIGINT PRIMARY KEY)", kine);
        var openKine = () => Open(kine);
        openKine.Should().Throw<StoreException>().WithMessage("*kine database*");
    }
}
