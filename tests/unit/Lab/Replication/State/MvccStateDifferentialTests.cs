using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql;
using K3sLab.K3s.Store.Sql.Sqlite;
using K3sLab.K3s.Store.Watch;
using K3sLab.Lab.Tests.Datastore;
using static K3sLab.Lab.Tests.Replication.State.StoreText;

namespace K3sLab.Lab.Tests.Replication.State;

/// <summary>
/// The state machine against the reference: one seeded random workload runs on a real <see cref="SqlStore"/> on SQLite
/// and on an <see cref="MvccState"/>, and every answer must be the same text (results, revisions, prevKvs, errors
/// by kind, the events of each write, watch history, HashKV, leases). A mismatch names the seed and the operation.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MvccStateDifferentialTests
{
    private const int Operations = 500;

    /// <summary>Long enough that no lease expires in the SQLite store while a test runs; the state has no clock.</summary>
    private const long MinLeaseTtl = 3600;

    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5, 6];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Apply_RandomWorkload_MatchesSqliteStore(int seed)
    {
        await using var sqlite = new TempStore(new SqliteStoreOptions(string.Empty) { AutoCompactInterval = TimeSpan.Zero, MinLeaseTtl = MinLeaseTtl });
        var run = new Run(seed, sqlite.Store, new MvccState(new MvccStateOptions { MinLeaseTtl = MinLeaseTtl }));
        for (var i = 0; i < Operations; i++)
        {
            await run.StepAsync(i);
        }

        await run.FinishAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed}: revision {run.State.Revision}, compacted {run.State.CompactRevision}, outcomes {string.Join(", ", run.Outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}");
        run.Outcomes.Keys.Should().Contain(["ok", "error DuplicateKey", "error LeaseNotFound", "error FutureRevision"], "the workload must reach the interesting paths (seed {0})", seed);
    }

    /// <summary>One seed's run: the generator, both stores, and the comparison of every answer.</summary>
    private sealed class Run(int seed, SqlStore sqlite, MvccState state)
    {
        private readonly StoreWorkload _w = new(seed);
        private string _step = string.Empty;

        public MvccState State => state;

        public Dictionary<string, int> Outcomes { get; } = [];

        public async Task StepAsync(int index)
        {
            var pick = _w.Random.Next(100);
            var granted = state.LeaseIds();
            switch (pick)
            {
                case < 28:
                    await TxnAsync(index, TxnRequest.Of(_w.Put(granted)));
                    break;
                case < 36:
                    await TxnAsync(index, TxnRequest.Of(_w.Delete()));
                    break;
                case < 60:
                    await TxnAsync(index, _w.Txn(state.Revision, state.CompactRevision, granted));
                    break;
                case < 76:
                    await RangeAsync(index, _w.Query(state.Revision, state.CompactRevision));
                    break;
                case < 80:
                    await CompactAsync(index);
                    break;
                case < 86:
                    await GrantAsync(index, _w.LeaseId(), _w.LeaseTtl());
                    break;
                case < 90:
                    await RevokeAsync(index, _w.Random.Next(3) == 0 && granted.Count > 0 ? granted[0] : _w.LeaseId());
                    break;
                case < 93:
                    await HashAsync(index, _w.Random.Next(3) == 0 ? 0 : _w.Random.Next((int)Math.Max(0, state.CompactRevision - 1), (int)state.Revision + 2));
                    break;
                default:
                    await HistoryAsync(index);
                    break;
            }
        }

        public async Task FinishAsync()
        {
            await HashAsync(Operations, 0);
            _step = "leases at the end";
            var ids = await sqlite.LeasesAsync(CancellationToken.None);
            Same(string.Join(",", ids), string.Join(",", state.LeaseIds()));
            foreach (var id in ids)
            {
                var status = (await sqlite.TimeToLiveAsync(id, withKeys: true, CancellationToken.None))!;
                Same($"{status.GrantedTtl} [{string.Join(", ", status.Keys.Select(Bytes))}]", $"{state.LeaseTtl(id)} [{string.Join(", ", state.LeaseKeys(id).Select(Bytes))}]");
            }

            _step = "snapshot round trip at the end";
            using var snapshot = new MemoryStream();
            state.WriteSnapshot(snapshot);
            snapshot.Position = 0;
            var copy = MvccState.ReadSnapshot(snapshot, new MvccStateOptions { MinLeaseTtl = MinLeaseTtl });
            var hash = await sqlite.HashKvAsync(0, CancellationToken.None);
            Same(Hash(hash), Hash(copy.HashKv(0)));
        }

        private async Task TxnAsync(int index, TxnRequest txn)
        {
            _step = $"op {index}: {Txn(txn)}";
            var before = state.Revision;
            string expected;
            try
            {
                expected = Result(await sqlite.TxnAsync(txn, CancellationToken.None));
            }
            catch (StoreException e)
            {
                expected = Error(e);
            }

            var actual = Command(state.Apply(new TxnCommand(txn), out var events));
            Same(expected, actual);
            await EventsAsync(before, events);
        }

        private async Task RangeAsync(int index, RangeQuery query)
        {
            _step = $"op {index}: {Query(query)}";
            string expected, actual;
            try
            {
                expected = Result(await sqlite.RangeAsync(query, CancellationToken.None));
            }
            catch (StoreException e)
            {
                expected = Error(e);
            }

            try
            {
                actual = Result(state.Range(query));
            }
            catch (StoreException e)
            {
                actual = Error(e);
            }

            Same(expected, actual);
        }

        private async Task CompactAsync(int index)
        {
            var revision = _w.Random.Next(10) == 0 ? state.Revision + 1 : _w.Random.Next((int)state.CompactRevision, (int)state.Revision + 1);
            _step = $"op {index}: compact({revision})";
            string expected;
            try
            {
                expected = $"compacted at {await sqlite.CompactAsync(revision, CancellationToken.None)}";
            }
            catch (StoreException e)
            {
                expected = Error(e);
            }

            Same(expected, Command(state.Apply(new CompactCommand(revision), out var events)));
            events.Should().BeEmpty();
        }

        private async Task GrantAsync(int index, long id, long ttl)
        {
            _step = $"op {index}: grant({id}, {ttl})";
            string expected;
            try
            {
                var grant = await sqlite.GrantLeaseAsync(id, ttl, CancellationToken.None);
                expected = $"granted {grant.Id} ttl {grant.Ttl}";
            }
            catch (StoreException e)
            {
                expected = Error(e);
            }

            Same(expected, Command(state.Apply(new LeaseGrantCommand(id, ttl), out var events)));
            events.Should().BeEmpty();
        }

        private async Task RevokeAsync(int index, long id)
        {
            _step = $"op {index}: revoke({id})";
            var before = state.Revision;
            string expected;
            try
            {
                expected = $"revoked at {await sqlite.RevokeLeaseAsync(id, CancellationToken.None)}";
            }
            catch (StoreException e)
            {
                expected = Error(e);
            }

            Same(expected, Command(state.Apply(new LeaseRevokeCommand(id), out var events)));
            await EventsAsync(before, events);
        }

        /// <summary>Compares after the SQLite store's background compaction caught up: its hash covers the rows it still holds.</summary>
        private async Task HashAsync(int index, long revision)
        {
            _step = $"op {index}: hashkv({revision})";
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (sqlite.CompactedThrough < sqlite.CompactRevision)
            {
                DateTime.UtcNow.Should().BeBefore(deadline, "the SQLite store's compaction should catch up ({0})", _step);
                await Task.Delay(10);
            }

            string expected, actual;
            try
            {
                expected = Hash(await sqlite.HashKvAsync(revision, CancellationToken.None));
            }
            catch (StoreException e)
            {
                expected = Error(e);
            }

            try
            {
                actual = Hash(state.HashKv(revision));
            }
            catch (StoreException e)
            {
                actual = Error(e);
            }

            Same(expected, actual);
        }

        private async Task HistoryAsync(int index)
        {
            if (state.Revision <= state.CompactRevision)
            {
                return;
            }

            var from = _w.Random.Next((int)state.CompactRevision + 1, (int)state.Revision + 1);
            _step = $"op {index}: history({from}, {state.Revision})";
            var (expected, expectedThrough) = await ((IWatchHistory)sqlite).ReadAsync(from, state.Revision, CancellationToken.None);
            var (actual, actualThrough) = state.History(from, state.Revision, 5000);
            Same($"through {expectedThrough}\n{Events(expected)}", $"through {actualThrough}\n{Events(actual)}");
        }

        /// <summary>The events a write produced, against what the SQLite store's log holds for its revision.</summary>
        private async Task EventsAsync(long before, IReadOnlyList<StoredEvent> events)
        {
            if (state.Revision == before)
            {
                Same(string.Empty, Events(events));
                return;
            }

            var (expected, _) = await ((IWatchHistory)sqlite).ReadAsync(state.Revision, state.Revision, CancellationToken.None);
            Same(Events(expected), Events(events));
        }

        private static string Hash(StoreHash hash) => $"hash {hash.Hash:x8} at {hash.HashRevision} compacted {hash.CompactRevision}";

        private void Same(string expected, string actual)
        {
            var outcome = expected.StartsWith("error", StringComparison.Ordinal) ? expected.Split(" (")[0] : "ok";
            Outcomes[outcome] = Outcomes.GetValueOrDefault(outcome) + 1;
            actual.Should().Be(expected, "the state machine must answer as the SQLite store does (seed {0}, {1})", seed, _step);
        }
    }
}
