using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;
using static K3sLab.Lab.Tests.Datastore.TempStore;

namespace K3sLab.Lab.Tests.Replication.State;

/// <summary>The Raft log encoding of store commands: lossless round trips and loud refusals of anything malformed.</summary>
[Trait("Category", "Unit")]
public sealed class StoreCommandCodecTests
{
    [Fact]
    public void Decode_EveryKind_RoundTrips()
    {
        var txn = new TxnRequest(
            [new Compare(new KeyRange(B("a"), [0]), CompareTarget.Value, CompareResult.NotEqual, 0, B("v")), new Compare(KeyRange.Single(B("k")), CompareTarget.Mod, CompareResult.Less, long.MaxValue, [])],
            [
                new PutOp(B("k"), B("v"), 7) { PrevKv = true },
                new PutOp(B("i"), [], 0) { IgnoreValue = true, IgnoreLease = true },
                new DeleteOp(KeyRange.Prefix(B("p")), PrevKv: true),
                new RangeOp(new RangeQuery(new KeyRange([0], [0]), -3, 10) { KeysOnly = true, CountOnly = true, SortOrder = SortOrder.Descend, SortTarget = SortTarget.Value, MinModRevision = 1, MaxModRevision = 2, MinCreateRevision = 3, MaxCreateRevision = long.MinValue }),
                new NestedTxnOp(new TxnRequest([], [new NestedTxnOp(TxnRequest.Of(new DeleteOp(KeyRange.Single(B("x")))))], [new PutOp(B("y"), B("z"))])),
            ],
            [new RangeOp(new RangeQuery(KeyRange.Single(B("k"))))]);
        StoreCommand[] commands = [new TxnCommand(txn), new CompactCommand(42), new LeaseGrantCommand(-5, 60), new LeaseRevokeCommand(long.MaxValue)];

        foreach (var command in commands)
        {
            var bytes = StoreCommandCodec.Encode(command);
            var decoded = StoreCommandCodec.Decode(bytes);
            StoreText.Command(decoded).Should().Be(StoreText.Command(command));
            StoreCommandCodec.Encode(decoded).Should().Equal(bytes);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Decode_RandomCommands_RoundTrip(int seed)
    {
        var w = new StoreWorkload(seed);
        for (var i = 0; i < 500; i++)
        {
            StoreCommand command = w.Random.Next(6) switch
            {
                0 => new CompactCommand(w.Random.NextInt64(long.MinValue, long.MaxValue)),
                1 => new LeaseGrantCommand(w.Random.NextInt64(long.MinValue, long.MaxValue), w.Random.NextInt64()),
                2 => new LeaseRevokeCommand(w.Random.NextInt64(long.MinValue, long.MaxValue)),
                _ => new TxnCommand(w.Txn(w.Random.Next(20, 1000), w.Random.Next(0, 10), [1, 2, long.MinValue])),
            };
            var bytes = StoreCommandCodec.Encode(command);
            var decoded = StoreCommandCodec.Decode(bytes);
            StoreText.Command(decoded).Should().Be(StoreText.Command(command), "seed {0}, command {1}", seed, i);
            StoreCommandCodec.Encode(decoded).Should().Equal(bytes);
        }
    }

    [Fact]
    public void Encode_SmallPut_StaysCompact()
    {
        var bytes = StoreCommandCodec.Encode(new TxnCommand(TxnRequest.Of(new PutOp(B("/registry/pods/default/web"), B("0123456789")))));
        bytes.Length.Should().BeLessThan("/registry/pods/default/web".Length + 10 + 12);
    }

    [Fact]
    public void Decode_TruncatedOrTrailingBytes_Throws()
    {
        var bytes = StoreCommandCodec.Encode(new TxnCommand(TxnRequest.Of(new PutOp(B("key"), B("value"), 3) { PrevKv = true })));
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            FluentActions.Invoking(() => StoreCommandCodec.Decode(prefix)).Should().Throw<InvalidDataException>("a prefix of {0} bytes", length);
        }

        FluentActions.Invoking(() => StoreCommandCodec.Decode([.. bytes, 0])).Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Decode_OtherFormatOrKind_Throws()
    {
        var bytes = StoreCommandCodec.Encode(new CompactCommand(5));
        FluentActions.Invoking(() => StoreCommandCodec.Decode([2, .. bytes[1..]])).Should().Throw<InvalidDataException>().WithMessage("*format 2*");
        FluentActions.Invoking(() => StoreCommandCodec.Decode([StoreCommandCodec.FormatVersion, 99])).Should().Throw<InvalidDataException>().WithMessage("*kind 99*");
    }

    [Fact]
    public void Decode_NestingBeyondLimit_Throws()
    {
        var txn = TxnRequest.Of(new PutOp(B("k"), B("v")));
        for (var i = 0; i <= StoreCommandCodec.MaxNesting + 1; i++)
        {
            txn = TxnRequest.Of(new NestedTxnOp(txn));
        }

        var bytes = StoreCommandCodec.Encode(new TxnCommand(txn));
        FluentActions.Invoking(() => StoreCommandCodec.Decode(bytes)).Should().Throw<InvalidDataException>().WithMessage("*deeper*");
    }

    [Fact]
    public void Decode_HugeLengthPrefix_ThrowsWithoutAllocating()
    {
        // Format 1, kind txn, compare count 2^62: refused as truncated, not attempted.
        byte[] bytes = [StoreCommandCodec.FormatVersion, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
        FluentActions.Invoking(() => StoreCommandCodec.Decode(bytes)).Should().Throw<InvalidDataException>();
    }
}
