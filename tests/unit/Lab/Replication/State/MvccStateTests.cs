using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;
using static K3sLab.Lab.Tests.Datastore.TempStore;

namespace K3sLab.Lab.Tests.Replication.State;

/// <summary>The replicated store's state machine on its own: etcd's revision rules, atomic failures, compaction, leases, history and determinism.</summary>
[Trait("Category", "Unit")]
public sealed class MvccStateTests
{
    [Fact]
    public void Apply_Puts_StartAtRevisionOneAndCountVersions()
    {
        var state = new MvccState();
        state.Revision.Should().Be(1);
        Put(state, "a", "1").Revision.Should().Be(2);
        Put(state, "a", "2").Revision.Should().Be(3);
        var kv = Get(state, "a").Kvs.Single();
        (kv.CreateRevision, kv.ModRevision, kv.Version, S(kv.Value)).Should().Be((2L, 3L, 2L, "2"));
        S(state.Range(new RangeQuery(KeyRange.Single(B("a")), 2)).Kvs.Single().Value).Should().Be("1");
    }

    [Fact]
    public void Apply_TxnWithSeveralWrites_SharesOneRevisionAndKeepsOpOrderInEvents()
    {
        var state = new MvccState();
        Put(state, "b", "old");
        var result = Ok(state.Apply(new TxnCommand(new TxnRequest([], [new PutOp(B("x"), B("1")), new DeleteOp(KeyRange.Single(B("b")), PrevKv: true), new PutOp(B("a"), B("2"))], [])), out var events));
        result.Revision.Should().Be(3);
        StoreText.Events(events).Should().Be(string.Join("\n",
            "3 PUT 'x'(c3 m3 v1 l0)='1' prev -",
            "3 DELETE 'b'(c0 m3 v0 l0)='' prev 'b'(c2 m2 v1 l0)='old'",
            "3 PUT 'a'(c3 m3 v1 l0)='2' prev -"));
        StoreText.Result(result.Responses[1]).Should().Be("delete(1 ['b'(c2 m2 v1 l0)='old'])");
    }

    [Fact]
    public void Apply_TxnThatWritesNothing_KeepsTheRevision()
    {
        var state = new MvccState();
        Put(state, "k", "v");
        var miss = new TxnRequest([new Compare(KeyRange.Single(B("k")), CompareTarget.Mod, CompareResult.Equal, 1, [])], [new PutOp(B("k"), B("new"))], [new RangeOp(new RangeQuery(KeyRange.Single(B("k")))), new DeleteOp(KeyRange.Single(B("absent")))]);
        var result = Ok(state.Apply(new TxnCommand(miss), out var events));
        (result.Succeeded, result.Revision, state.Revision).Should().Be((false, 2L, 2L));
        events.Should().BeEmpty();
    }

    [Fact]
    public void Apply_OperationFailsMidway_ChangesNothing()
    {
        var state = new MvccState();
        Granted(state.Apply(new LeaseGrantCommand(7, 60), out _));
        Put(state, "a", "1", lease: 7);
        var hash = state.HashKv(0);
        var bad = new TxnRequest([], [new PutOp(B("a"), B("2")), new DeleteOp(KeyRange.Prefix(B("z"))), new PutOp(B("b"), B("2"), Lease: 42)], []);

        var result = state.Apply(new TxnCommand(bad), out var events);

        result.Should().BeOfType<CommandFailed>().Which.Error.Should().Be(StoreError.LeaseNotFound);
        events.Should().BeEmpty();
        state.Revision.Should().Be(2);
        state.HashKv(0).Should().Be(hash);
        StoreText.Kv(Get(state, "a").Kvs.Single()).Should().Be("'a'(c2 m2 v1 l7)='1'");
        state.LeaseKeys(7).Select(S).Should().Equal("a");
        Put(state, "c", "3").Revision.Should().Be(3, "the failed transaction handed its revision back");
    }

    [Theory]
    [InlineData(nameof(StoreError.DuplicateKey))]
    [InlineData(nameof(StoreError.TooManyOps))]
    [InlineData(nameof(StoreError.KeyNotFound))]
    [InlineData(nameof(StoreError.EmptyKey))]
    [InlineData(nameof(StoreError.FutureRevision))]
    public void Apply_InvalidTxn_FailsWithTheSqliteStoresError(string name)
    {
        var error = Enum.Parse<StoreError>(name);
        var state = new MvccState(new MvccStateOptions { MaxTxnOps = 2 });
        TxnRequest txn = error switch
        {
            StoreError.DuplicateKey => new TxnRequest([], [new DeleteOp(KeyRange.Prefix(B("a"))), new PutOp(B("ab"), B("2"))], []),
            StoreError.TooManyOps => new TxnRequest([], [new PutOp(B("a"), []), new PutOp(B("b"), []), new PutOp(B("c"), [])], []),
            StoreError.KeyNotFound => TxnRequest.Of(new PutOp(B("missing"), []) { IgnoreValue = true }),
            StoreError.EmptyKey => TxnRequest.Of(new DeleteOp(KeyRange.Single([]))),
            _ => new TxnRequest([], [new PutOp(B("a"), B("1")), new RangeOp(new RangeQuery(KeyRange.Single(B("a")), 3))], []),
        };
        state.Apply(new TxnCommand(txn), out _).Should().BeOfType<CommandFailed>().Which.Error.Should().Be(error);
        state.Revision.Should().Be(1);
    }

    [Fact]
    public void Apply_Compact_KeepsEachLiveKeysNewestVersionAndRefusesOlderReads()
    {
        var state = new MvccState();
        Put(state, "k", "1");
        Put(state, "k", "2");
        Put(state, "gone", "x");
        Delete(state, "gone");
        Put(state, "k", "3");
        state.VersionCount.Should().Be(5);

        state.Apply(new CompactCommand(5), out _).Should().Be(new CompactApplied(6));

        state.VersionCount.Should().Be(2, "k@3 (its newest at 5) and k@6 remain; 'gone' was deleted at 5");
        state.KeyCount.Should().Be(1);
        S(state.Range(new RangeQuery(KeyRange.Single(B("k")), 5)).Kvs.Single().Value).Should().Be("2");
        state.Range(new RangeQuery(KeyRange.Single(B("gone")), 5)).Kvs.Should().BeEmpty();
        FluentActions.Invoking(() => state.Range(new RangeQuery(KeyRange.Single(B("k")), 4))).Should().Throw<StoreException>().Which.CompactRevision.Should().Be(5);
        state.Apply(new CompactCommand(5), out _).Should().Be(new CommandFailed(StoreError.Compacted, "revision 5 is already compacted (compacted revision 5)", 5));
        state.Apply(new CompactCommand(7), out _).Should().BeOfType<CommandFailed>().Which.Error.Should().Be(StoreError.FutureRevision);
        StoreText.Events(state.History(6, 6, 10).Events).Should().Be("6 PUT 'k'(c2 m6 v3 l0)='3' prev 'k'(c2 m3 v2 l0)='2'");
    }

    [Fact]
    public void Apply_LeaseRevoke_DeletesItsKeysInKeyOrderInOneRevision()
    {
        var state = new MvccState();
        Granted(state.Apply(new LeaseGrantCommand(9, 1), out _)).Should().Be(new LeaseGrant(9, 2), "the TTL is raised to the minimum");
        Put(state, "b", "1", lease: 9);
        Put(state, "a", "1", lease: 9);
        Put(state, "c", "1", lease: 9);
        Put(state, "c", "2");
        state.LeaseKeys(9).Select(S).Should().Equal("a", "b");

        state.Apply(new LeaseRevokeCommand(9), out var events).Should().Be(new LeaseRevoked(6));

        events.Select(e => (e.Revision, e.Event.IsDelete, S(e.Event.Kv.Key))).Should().Equal((6L, true, "a"), (6L, true, "b"));
        state.LeaseIds().Should().BeEmpty();
        state.Range(new RangeQuery(new KeyRange([0], [0]))).Kvs.Select(kv => S(kv.Key)).Should().Equal("c");
        state.Apply(new LeaseRevokeCommand(9), out _).Should().BeOfType<CommandFailed>().Which.Error.Should().Be(StoreError.LeaseNotFound);
    }

    [Fact]
    public void Apply_LeaseGrantWithoutIdOrTwice_Fails()
    {
        var state = new MvccState();
        state.Apply(new LeaseGrantCommand(0, 10), out _).Should().BeOfType<CommandFailed>().Which.Error.Should().Be(StoreError.NotSupported);
        Granted(state.Apply(new LeaseGrantCommand(3, 10), out _));
        state.Apply(new LeaseGrantCommand(3, 10), out _).Should().BeOfType<CommandFailed>().Which.Error.Should().Be(StoreError.LeaseExists);
        state.Apply(new LeaseGrantCommand(4, 9_000_000_001), out _).Should().BeOfType<CommandFailed>().Which.Error.Should().Be(StoreError.LeaseTtlTooLarge);
        state.LeaseIds().Should().Equal(3);
        state.LeaseTtl(3).Should().Be(10);
    }

    [Fact]
    public void History_PageEndsInsideARevision_ReturnsWholeRevisionsOnly()
    {
        var state = new MvccState();
        Put(state, "a", "1");
        Ok(state.Apply(new TxnCommand(new TxnRequest([], [new PutOp(B("b"), B("1")), new PutOp(B("c"), B("1")), new PutOp(B("d"), B("1"))], [])), out _));
        Put(state, "e", "1");

        var (page, through) = state.History(2, 4, 2);
        (page.Count, through).Should().Be((1, 2L));
        (page, through) = state.History(3, 4, 2);
        (page.Count, through).Should().Be((3, 3L), "a revision larger than the page comes whole");
        (page, through) = state.History(2, 4, 100);
        (page.Count, through).Should().Be((5, 4L));
    }

    [Fact]
    public void Range_SortFiltersAndLimit_ShapeLikeEtcd()
    {
        var state = new MvccState();
        Put(state, "a", "3");
        Put(state, "b", "1");
        Put(state, "c", "2");
        Put(state, "b", "4");
        var all = new KeyRange([0], [0]);

        var limited = state.Range(new RangeQuery(all, 0, 2));
        (limited.More, limited.Count, string.Join(",", limited.Kvs.Select(kv => S(kv.Key)))).Should().Be((true, 3L, "a,b"));
        var byValue = state.Range(new RangeQuery(all) { SortOrder = SortOrder.Descend, SortTarget = SortTarget.Value, MinModRevision = 3 });
        string.Join(",", byValue.Kvs.Select(kv => S(kv.Key))).Should().Be("b,c");
        state.Range(new RangeQuery(KeyRange.Prefix(B("b"))) { CountOnly = true }).Should().BeEquivalentTo(new { Count = 1L, More = false, Revision = 5L });
        state.Range(new RangeQuery(all) { KeysOnly = true }).Kvs.Should().OnlyContain(kv => kv.Value.Length == 0);
    }

    [Fact]
    public void HashKv_SameHistory_SameHashAndAnyChangeMovesIt()
    {
        var one = new MvccState();
        var two = new MvccState();
        foreach (var state in new[] { one, two })
        {
            Put(state, "a", "1");
            Put(state, "b", "2");
        }

        one.HashKv(0).Should().Be(two.HashKv(0));
        Put(two, "a", "1");
        two.HashKv(3).Should().Be(one.HashKv(3));
        two.HashKv(0).Hash.Should().NotBe(one.HashKv(0).Hash);
        FluentActions.Invoking(() => one.HashKv(9)).Should().Throw<StoreException>().Which.Error.Should().Be(StoreError.FutureRevision);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Apply_SameEncodedLogOnTwoMembers_SameAnswersAndBytes(int seed)
    {
        var w = new StoreWorkload(seed);
        var leader = new MvccState();
        var follower = new MvccState();
        for (var i = 0; i < 400; i++)
        {
            var entry = StoreCommandCodec.Encode(w.Command(leader.Revision, leader.CompactRevision, leader.LeaseIds()));
            var a = leader.Apply(StoreCommandCodec.Decode(entry), out var eventsA);
            var b = follower.Apply(StoreCommandCodec.Decode(entry), out var eventsB);
            StoreText.Command(b).Should().Be(StoreText.Command(a), "seed {0}, entry {1}", seed, i);
            StoreText.Events(eventsB).Should().Be(StoreText.Events(eventsA));
        }

        Snapshot(follower).Should().Equal(Snapshot(leader));
    }

    [Fact]
    public void Crc32CAppend_AnyLength_EqualsByteByByte()
    {
        var random = new Random(5);
        for (var length = 0; length < 40; length++)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            var expected = 0x1234u;
            foreach (var b in bytes)
            {
                expected = System.Numerics.BitOperations.Crc32C(expected, b);
            }

            Crc32C.Append(0x1234u, bytes).Should().Be(expected);
        }
    }

    internal static byte[] Snapshot(MvccState state)
    {
        using var stream = new MemoryStream();
        state.WriteSnapshot(stream);
        return stream.ToArray();
    }

    private static TxnResult Put(MvccState state, string key, string value, long lease = 0) =>
        Ok(state.Apply(new TxnCommand(TxnRequest.Of(new PutOp(B(key), B(value), lease))), out _));

    private static TxnResult Delete(MvccState state, string key) =>
        Ok(state.Apply(new TxnCommand(TxnRequest.Of(new DeleteOp(KeyRange.Single(B(key))))), out _));

    private static RangeResult Get(MvccState state, string key) => state.Range(new RangeQuery(KeyRange.Single(B(key))));

    private static TxnResult Ok(CommandResult result) => result.Should().BeOfType<TxnApplied>().Which.Result;

    private static LeaseGrant Granted(CommandResult result) => result.Should().BeOfType<LeaseGranted>().Which.Grant;
}
