using Google.Protobuf;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Etcd;

/// <summary>Converts between the etcd wire messages and the store contract, in both directions.</summary>
internal static partial class WireMapping
{
    public static KeyRange Range(ByteString key, ByteString end) => new(key.ToByteArray(), end.ToByteArray());

    public static RangeQuery Query(Wire.RangeRequest r)
    {
        if (!Enum.IsDefined(r.SortOrder) || !Enum.IsDefined(r.SortTarget))
        {
            throw new EtcdRequestException(Grpc.Core.StatusCode.InvalidArgument, "etcdserver: invalid sort option");
        }

        return new RangeQuery(Range(r.Key, r.RangeEnd), r.Revision, r.Limit)
        {
            KeysOnly = r.KeysOnly,
            CountOnly = r.CountOnly,
            SortOrder = (SortOrder)r.SortOrder,
            SortTarget = (SortTarget)r.SortTarget,
            MinModRevision = r.MinModRevision,
            MaxModRevision = r.MaxModRevision,
            MinCreateRevision = r.MinCreateRevision,
            MaxCreateRevision = r.MaxCreateRevision,
            Serializable = r.Serializable,
        };
    }

    public static PutOp Put(Wire.PutRequest r) =>
        new(r.Key.ToByteArray(), r.Value.ToByteArray(), r.Lease) { PrevKv = r.PrevKv, IgnoreValue = r.IgnoreValue, IgnoreLease = r.IgnoreLease };

    public static DeleteOp Delete(Wire.DeleteRangeRequest r) => new(Range(r.Key, r.RangeEnd), r.PrevKv);

    public static TxnRequest Txn(Wire.TxnRequest r) =>
        new([.. r.Compare.Select(Compare)], [.. r.Success.Select(Op)], [.. r.Failure.Select(Op)]);

    public static Wire.KeyValue Kv(KeyValue kv) => new()
    {
        Key = UnsafeByteOperations.UnsafeWrap(kv.Key),
        CreateRevision = kv.CreateRevision,
        ModRevision = kv.ModRevision,
        Version = kv.Version,
        Value = UnsafeByteOperations.UnsafeWrap(kv.Value),
        Lease = kv.Lease,
    };

    public static Wire.RangeResponse RangeResponse(RangeResult r, Wire.ResponseHeader header)
    {
        var response = new Wire.RangeResponse { Header = header, More = r.More, Count = r.Count };
        foreach (var kv in r.Kvs)
        {
            response.Kvs.Add(Kv(kv));
        }

        return response;
    }

    public static Wire.PutResponse PutResponse(PutResult r, Wire.ResponseHeader header) =>
        r.PrevKv is null ? new() { Header = header } : new() { Header = header, PrevKv = Kv(r.PrevKv) };

    public static Wire.DeleteRangeResponse DeleteResponse(DeleteResult r, Wire.ResponseHeader header)
    {
        var response = new Wire.DeleteRangeResponse { Header = header, Deleted = r.Deleted };
        foreach (var kv in r.PrevKvs)
        {
            response.PrevKvs.Add(Kv(kv));
        }

        return response;
    }

    /// <summary>The top-level header is complete; the headers of the operations inside carry only their revision, as etcd's do.</summary>
    public static Wire.TxnResponse TxnResponse(TxnResult r, Wire.ResponseHeader header)
    {
        var response = new Wire.TxnResponse { Header = header, Succeeded = r.Succeeded };
        foreach (var op in r.Responses)
        {
            response.Responses.Add(op switch
            {
                RangeResult range => new Wire.ResponseOp { ResponseRange = RangeResponse(range, new Wire.ResponseHeader { Revision = range.Revision }) },
                PutResult put => new Wire.ResponseOp { ResponsePut = PutResponse(put, new Wire.ResponseHeader { Revision = r.Revision }) },
                DeleteResult delete => new Wire.ResponseOp { ResponseDeleteRange = DeleteResponse(delete, new Wire.ResponseHeader { Revision = r.Revision }) },
                TxnResult nested => new Wire.ResponseOp { ResponseTxn = TxnResponse(nested, new Wire.ResponseHeader { Revision = nested.Revision }) },
                _ => throw new InvalidOperationException($"unexpected result {op.GetType().Name}"),
            });
        }

        return response;
    }

    public static Wire.Event Event(WatchEvent e)
    {
        var wire = new Wire.Event { Type = e.IsDelete ? Wire.Event.Types.EventType.Delete : Wire.Event.Types.EventType.Put, Kv = Kv(e.Kv) };
        if (e.PrevKv is not null)
        {
            wire.PrevKv = Kv(e.PrevKv);
        }

        return wire;
    }

    private static Compare Compare(Wire.Compare c)
    {
        var range = Range(c.Key, c.RangeEnd);
        if (!Enum.IsDefined(c.Target) || !Enum.IsDefined(c.Result))
        {
            throw new EtcdRequestException(Grpc.Core.StatusCode.InvalidArgument, "etcdserver: invalid compare");
        }

        var number = c.TargetUnionCase switch
        {
            Wire.Compare.TargetUnionOneofCase.Version => c.Version,
            Wire.Compare.TargetUnionOneofCase.CreateRevision => c.CreateRevision,
            Wire.Compare.TargetUnionOneofCase.ModRevision => c.ModRevision,
            Wire.Compare.TargetUnionOneofCase.Lease => c.Lease,
            _ => 0,
        };
        return new Compare(range, (CompareTarget)c.Target, (CompareResult)c.Result, number, c.Value.ToByteArray());
    }

    private static TxnOp Op(Wire.RequestOp op) => op.RequestCase switch
    {
        Wire.RequestOp.RequestOneofCase.RequestRange => new RangeOp(Query(op.RequestRange)),
        Wire.RequestOp.RequestOneofCase.RequestPut => Put(op.RequestPut),
        Wire.RequestOp.RequestOneofCase.RequestDeleteRange => Delete(op.RequestDeleteRange),
        Wire.RequestOp.RequestOneofCase.RequestTxn => new NestedTxnOp(Txn(op.RequestTxn)),
        _ => throw new EtcdRequestException(Grpc.Core.StatusCode.InvalidArgument, "etcdserver: a transaction operation carries no request"),
    };
}
