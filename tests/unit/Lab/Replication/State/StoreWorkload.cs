using System.Text;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;

namespace K3sLab.Lab.Tests.Replication.State;

/// <summary>
/// A seeded generator of etcd requests over a small key space, so that keys collide, ranges overlap, compares
/// sometimes hold and errors of every kind come up: puts with and without leases and flags, deletes of keys,
/// prefixes, intervals and everything, transactions with compares and nested transactions, reads at past,
/// compacted and future revisions with every option.
/// </summary>
internal sealed class StoreWorkload(int seed)
{
    private static readonly byte[][] Keys =
    [
        .. new[] { "a", "a/1", "a/2", "a/10", "ab", "b", "b/1", "b/2", "c", "c/x/1", "d", "z" }.Select(Encoding.UTF8.GetBytes),
        [0x01], [0xff], [0xff, 0x00], [0xff, 0xff],
    ];

    private static readonly byte[][] Prefixes = [.. new[] { "a", "a/", "b", "b/", "c", "c/x/" }.Select(Encoding.UTF8.GetBytes), [0xff], [0xff, 0xff]];

    private static readonly byte[][] Values = [[], .. new[] { "x", "y", "xy", "1", "2", "a longer value" }.Select(Encoding.UTF8.GetBytes)];

    public Random Random { get; } = new(seed);

    /// <summary>Lease IDs the workload uses: a small pool so grants collide and revokes miss.</summary>
    public long LeaseId() => Random.Next(1, 9);

    public long LeaseTtl() => Random.Next(20) == 0 ? 9_000_000_001 : Random.Next(0, 100);

    public byte[] Key() => Keys[Random.Next(Keys.Length)];

    public byte[] Value() => Random.Next(4) == 0 ? Encoding.UTF8.GetBytes($"v{Random.Next(1000)}") : Values[Random.Next(Values.Length)];

    public KeyRange Range(bool mostlySingle = false)
    {
        var pick = Random.Next(mostlySingle ? 16 : 10);
        return pick switch
        {
            0 or 1 => KeyRange.Prefix(Prefixes[Random.Next(Prefixes.Length)]),
            2 => new KeyRange(Key(), Key()),
            3 => new KeyRange(Key(), [0]),
            4 => new KeyRange([0], [0]),
            5 when Random.Next(10) == 0 => KeyRange.Single([]),
            _ => KeyRange.Single(Key()),
        };
    }

    /// <summary>A lease for a put: usually none, often a granted one, sometimes one that does not exist.</summary>
    public long PutLease(IReadOnlyList<long> granted)
    {
        var pick = Random.Next(20);
        return pick switch
        {
            < 13 => 0,
            < 19 when granted.Count > 0 => granted[Random.Next(granted.Count)],
            _ => LeaseId(),
        };
    }

    public PutOp Put(IReadOnlyList<long> granted)
    {
        var ignoreValue = Random.Next(20) == 0;
        var ignoreLease = Random.Next(20) == 0;
        var value = ignoreValue && Random.Next(5) > 0 ? [] : Value();
        var lease = ignoreLease && Random.Next(5) > 0 ? 0 : PutLease(granted);
        return new PutOp(Key(), value, lease) { PrevKv = Random.Next(2) == 0, IgnoreValue = ignoreValue, IgnoreLease = ignoreLease };
    }

    public DeleteOp Delete() => new(Range(), Random.Next(2) == 0);

    /// <summary>A read at the current revision most of the time, else anywhere around the live history (compacted and future included).</summary>
    public RangeQuery Query(long revision, long compacted)
    {
        long Rev() => Random.Next(0, (int)Math.Max(1, revision) + 2);
        return new RangeQuery(Range(), Random.Next(5) < 3 ? 0 : Math.Max(0, Random.Next((int)Math.Max(0, compacted - 1), (int)revision + 2)), Random.Next(2) == 0 ? 0 : Random.Next(1, 5))
        {
            KeysOnly = Random.Next(5) == 0,
            CountOnly = Random.Next(7) == 0,
            SortOrder = Random.Next(3) == 0 ? (SortOrder)Random.Next(3) : SortOrder.None,
            SortTarget = Random.Next(3) == 0 ? (SortTarget)Random.Next(5) : SortTarget.Key,
            MinModRevision = Random.Next(6) == 0 ? Rev() : 0,
            MaxModRevision = Random.Next(6) == 0 ? Rev() : 0,
            MinCreateRevision = Random.Next(6) == 0 ? Rev() : 0,
            MaxCreateRevision = Random.Next(6) == 0 ? Rev() : 0,
        };
    }

    public Compare Compare(long revision, IReadOnlyList<long> granted)
    {
        var target = (CompareTarget)Random.Next(5);
        var number = target switch
        {
            CompareTarget.Version => Random.Next(0, 4),
            CompareTarget.Lease => granted.Count > 0 && Random.Next(2) == 0 ? granted[Random.Next(granted.Count)] : 0,
            CompareTarget.Value => 0,
            _ => Random.Next(0, (int)revision + 2),
        };
        return new Compare(Range(mostlySingle: true), target, (CompareResult)Random.Next(4), number, target == CompareTarget.Value ? Value() : []);
    }

    public TxnRequest Txn(long revision, long compacted, IReadOnlyList<long> granted, int depth = 0)
    {
        return new TxnRequest(
            [.. Enumerable.Range(0, Random.Next(4)).Select(_ => Compare(revision, granted))],
            Ops(Random.Next(5)),
            Ops(Random.Next(4)));

        TxnOp[] Ops(int count) =>
        [
            .. Enumerable.Range(0, count).Select(_ => Random.Next(20) switch
            {
                < 8 => (TxnOp)Put(granted),
                < 12 => Delete(),
                < 17 => new RangeOp(Query(revision, compacted)),
                _ when depth < 2 => new NestedTxnOp(Txn(revision, compacted, granted, depth + 1)),
                _ => Put(granted),
            }),
        ];
    }

    /// <summary>A command for the Raft log, mostly writes, now and then a compaction or a lease change.</summary>
    public StoreCommand Command(long revision, long compacted, IReadOnlyList<long> granted) => Random.Next(20) switch
    {
        < 8 => new TxnCommand(TxnRequest.Of(Put(granted))),
        < 10 => new TxnCommand(TxnRequest.Of(Delete())),
        < 16 => new TxnCommand(Txn(revision, compacted, granted)),
        16 => new CompactCommand(Random.Next((int)compacted, (int)revision + 1)),
        17 or 18 => new LeaseGrantCommand(LeaseId(), LeaseTtl()),
        _ => new LeaseRevokeCommand(LeaseId()),
    };
}
