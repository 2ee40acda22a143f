using Google.Protobuf;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// The client direction, for a store that talks to a real etcd: store requests become wire requests and wire answers
/// become store results. The request fields mirror <see cref="Query(Wire.RangeRequest)"/> and <see cref="Txn(Wire.TxnRequest)"/>.
/// </summary>
internal static partial class WireMapping
{
    public static Wire.RangeRequest ToWire(RangeQuery q) => new()
    {
        Key = Bytes(q.Range.Key),
        RangeEnd = Bytes(q.Range.End),
        Revision = q.Revision,
        Limit = q.Limit,
        KeysOnly = q.KeysOnly,
        CountOnly = q.CountOnly,
        SortOrder = (Wire.RangeRequest.Types.SortOrder)q.SortOrder,
        SortTarget = (Wire.RangeRequest.Types.SortTarget)q.SortTarget,
        MinModRevision = q.MinModRevision,
        MaxModRevision = q.MaxModRevision,
        MinCreateRevision = q.MinCreateRevision,
        MaxCreateRevision = q.MaxCreateRevision,
        Serializable = q.Serializable,
    };

    public static Wire.TxnRequest ToWire(TxnRequest txn)
    {
        var wire = new Wire.TxnRequest();
        wire.Compare.AddRange(txn.Compares.Select(ToWire));
        wire.Success.AddRange(txn.Success.Select(ToWire));
        wire.Failure.AddRange(txn.Failure.Select(ToWire));
        return wire;
    }

    public static Wire.WatchCreateRequest ToWire(WatchRequest request, long startRevision)
    {
        var create = new Wire.WatchCreateRequest
        {
            Key = Bytes(request.Range.Key),
            RangeEnd = Bytes(request.Range.End),
            StartRevision = startRevision,
            PrevKv = request.PrevKv,
        };
        if (request.NoPut)
        {
            create.Filters.Add(Wire.WatchCreateRequest.Types.FilterType.Noput);
        }

        if (request.NoDelete)
        {
            create.Filters.Add(Wire.WatchCreateRequest.Types.FilterType.Nodelete);
        }

        return create;
    }

    public static KeyValue FromWire(Wire.KeyValue kv) =>
        new(kv.Key.ToByteArray(), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Value.ToByteArray(), kv.Lease);

    public static RangeResult FromWire(Wire.RangeResponse r) =>
        new(r.Header?.Revision ?? 0, [.. r.Kvs.Select(FromWire)], r.More, r.Count);

    /// <summary>The revision of an operation inside a transaction is the transaction's; etcd leaves the inner headers sparse.</summary>
    public static TxnResult FromWire(Wire.TxnResponse r, long revision) =>
        new(revision, r.Succeeded, [.. r.Responses.Select(op => FromWire(op, revision))]);

    public static WatchEvent FromWire(Wire.Event e) =>
        new(e.Type == Wire.Event.Types.EventType.Delete, FromWire(e.Kv), e.PrevKv is null ? null : FromWire(e.PrevKv));

    private static OpResult FromWire(Wire.ResponseOp op, long revision) => op.ResponseCase switch
    {
        Wire.ResponseOp.ResponseOneofCase.ResponseRange => FromWire(op.ResponseRange) with { Revision = revision },
        Wire.ResponseOp.ResponseOneofCase.ResponsePut => new PutResult(op.ResponsePut.PrevKv is null ? null : FromWire(op.ResponsePut.PrevKv)),
        Wire.ResponseOp.ResponseOneofCase.ResponseDeleteRange => new DeleteResult(op.ResponseDeleteRange.Deleted, [.. op.ResponseDeleteRange.PrevKvs.Select(FromWire)]),
        Wire.ResponseOp.ResponseOneofCase.ResponseTxn => FromWire(op.ResponseTxn, revision),
        _ => throw new StoreException(StoreError.Unavailable, "etcd answered a transaction operation with an empty response"),
    };

    private static Wire.Compare ToWire(Compare c)
    {
        var wire = new Wire.Compare
        {
            Key = Bytes(c.Range.Key),
            RangeEnd = Bytes(c.Range.End),
            Target = (Wire.Compare.Types.CompareTarget)c.Target,
            Result = (Wire.Compare.Types.CompareResult)c.Result,
        };
        switch (c.Target)
        {
            case CompareTarget.Version:
                wire.Version = c.Number;
                break;
            case CompareTarget.Create:
                wire.CreateRevision = c.Number;
                break;
            case CompareTarget.Mod:
                wire.ModRevision = c.Number;
                break;
            case CompareTarget.Lease:
                wire.Lease = c.Number;
                break;
            default:
                wire.Value = Bytes(c.Value);
                break;
        }

        return wire;
    }

    private static Wire.RequestOp ToWire(TxnOp op) => op switch
    {
        RangeOp r => new Wire.RequestOp { RequestRange = ToWire(r.Query) },
        PutOp p => new Wire.RequestOp
        {
            RequestPut = new Wire.PutRequest { Key = Bytes(p.Key), Value = Bytes(p.Value), Lease = p.Lease, PrevKv = p.PrevKv, IgnoreValue = p.IgnoreValue, IgnoreLease = p.IgnoreLease },
        },
        DeleteOp d => new Wire.RequestOp { RequestDeleteRange = new Wire.DeleteRangeRequest { Key = Bytes(d.Range.Key), RangeEnd = Bytes(d.Range.End), PrevKv = d.PrevKv } },
        NestedTxnOp n => new Wire.RequestOp { RequestTxn = ToWire(n.Txn) },
        _ => throw new InvalidOperationException($"unexpected transaction operation {op.GetType().Name}"),
    };

    private static ByteString Bytes(byte[] bytes) => UnsafeByteOperations.UnsafeWrap(bytes);
}
