using System.Buffers;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// The binary form of a <see cref="StoreCommand"/> in the Raft log: a format version byte, a kind byte, then the
/// fields as varints and length-prefixed bytes. Hand-written for NativeAOT (no reflection) and compact (a small put
/// is its key and value plus about ten bytes). Decoding refuses other format versions, unknown kinds, trailing
/// bytes and nesting deeper than <see cref="MaxNesting"/> with an <see cref="InvalidDataException"/>.
/// </summary>
internal static class StoreCommandCodec
{
    /// <summary>The format this build writes and reads; bumped on any layout change.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Nested transactions deeper than this are refused, so a corrupt entry cannot exhaust the stack.</summary>
    public const int MaxNesting = 64;

    private const byte KindTxn = 1;
    private const byte KindCompact = 2;
    private const byte KindLeaseGrant = 3;
    private const byte KindLeaseRevoke = 4;

    private const byte OpPut = 1;
    private const byte OpDelete = 2;
    private const byte OpRange = 3;
    private const byte OpTxn = 4;

    public static byte[] Encode(StoreCommand command)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var w = new WireWriter(buffer);
        w.Byte(FormatVersion);
        switch (command)
        {
            case TxnCommand txn:
                w.Byte(KindTxn);
                WriteTxn(w, txn.Request);
                break;
            case CompactCommand compact:
                w.Byte(KindCompact);
                w.Signed(compact.Revision);
                break;
            case LeaseGrantCommand grant:
                w.Byte(KindLeaseGrant);
                w.Signed(grant.Id);
                w.Signed(grant.Ttl);
                break;
            case LeaseRevokeCommand revoke:
                w.Byte(KindLeaseRevoke);
                w.Signed(revoke.Id);
                break;
            default:
                throw new ArgumentException($"store command {command.GetType().Name} has no encoding", nameof(command));
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static StoreCommand Decode(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        var version = r.Byte();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"store command format {version} is not readable by this build (format {FormatVersion}); upgrade every member to the same version");
        }

        var kind = r.Byte();
        StoreCommand command = kind switch
        {
            KindTxn => new TxnCommand(ReadTxn(ref r, 0)),
            KindCompact => new CompactCommand(r.Signed()),
            KindLeaseGrant => new LeaseGrantCommand(r.Signed(), r.Signed()),
            KindLeaseRevoke => new LeaseRevokeCommand(r.Signed()),
            _ => throw new InvalidDataException($"store command kind {kind} is unknown"),
        };
        if (!r.AtEnd)
        {
            throw new InvalidDataException("a store command has bytes after its last field; the entry is corrupt");
        }

        return command;
    }

    private static void WriteTxn(WireWriter w, TxnRequest txn)
    {
        w.Unsigned((ulong)txn.Compares.Count);
        foreach (var c in txn.Compares)
        {
            WriteRange(w, c.Range);
            w.Unsigned((ulong)c.Target);
            w.Unsigned((ulong)c.Result);
            w.Signed(c.Number);
            w.Bytes(c.Value);
        }

        WriteOps(w, txn.Success);
        WriteOps(w, txn.Failure);
    }

    private static void WriteOps(WireWriter w, IReadOnlyList<TxnOp> ops)
    {
        w.Unsigned((ulong)ops.Count);
        foreach (var op in ops)
        {
            switch (op)
            {
                case PutOp put:
                    w.Byte(OpPut);
                    w.Bytes(put.Key);
                    w.Bytes(put.Value);
                    w.Signed(put.Lease);
                    w.Byte((byte)((put.PrevKv ? 1 : 0) | (put.IgnoreValue ? 2 : 0) | (put.IgnoreLease ? 4 : 0)));
                    break;
                case DeleteOp delete:
                    w.Byte(OpDelete);
                    WriteRange(w, delete.Range);
                    w.Byte(delete.PrevKv ? (byte)1 : (byte)0);
                    break;
                case RangeOp range:
                    w.Byte(OpRange);
                    WriteQuery(w, range.Query);
                    break;
                case NestedTxnOp nested:
                    w.Byte(OpTxn);
                    WriteTxn(w, nested.Txn);
                    break;
                default:
                    throw new ArgumentException($"transaction operation {op.GetType().Name} has no encoding", nameof(ops));
            }
        }
    }

    private static void WriteQuery(WireWriter w, RangeQuery q)
    {
        WriteRange(w, q.Range);
        w.Signed(q.Revision);
        w.Signed(q.Limit);
        w.Byte((byte)((q.KeysOnly ? 1 : 0) | (q.CountOnly ? 2 : 0)));
        w.Unsigned((ulong)q.SortOrder);
        w.Unsigned((ulong)q.SortTarget);
        w.Signed(q.MinModRevision);
        w.Signed(q.MaxModRevision);
        w.Signed(q.MinCreateRevision);
        w.Signed(q.MaxCreateRevision);
    }

    private static void WriteRange(WireWriter w, KeyRange range)
    {
        w.Bytes(range.Key);
        w.Bytes(range.End);
    }

    private static TxnRequest ReadTxn(ref WireReader r, int depth)
    {
        if (depth > MaxNesting)
        {
            throw new InvalidDataException($"a store command nests transactions deeper than {MaxNesting}");
        }

        var compares = new Compare[r.Count()];
        for (var i = 0; i < compares.Length; i++)
        {
            compares[i] = new Compare(ReadRange(ref r), (CompareTarget)r.Unsigned(), (CompareResult)r.Unsigned(), r.Signed(), r.Bytes());
        }

        var success = ReadOps(ref r, depth);
        var failure = ReadOps(ref r, depth);
        return new TxnRequest(compares, success, failure);
    }

    private static TxnOp[] ReadOps(ref WireReader r, int depth)
    {
        var ops = new TxnOp[r.Count()];
        for (var i = 0; i < ops.Length; i++)
        {
            var tag = r.Byte();
            ops[i] = tag switch
            {
                OpPut => ReadPut(ref r),
                OpDelete => new DeleteOp(ReadRange(ref r), r.Byte() != 0),
                OpRange => new RangeOp(ReadQuery(ref r)),
                OpTxn => new NestedTxnOp(ReadTxn(ref r, depth + 1)),
                _ => throw new InvalidDataException($"transaction operation tag {tag} is unknown"),
            };
        }

        return ops;
    }

    private static PutOp ReadPut(ref WireReader r)
    {
        var key = r.Bytes();
        var value = r.Bytes();
        var lease = r.Signed();
        var flags = r.Byte();
        return new PutOp(key, value, lease) { PrevKv = (flags & 1) != 0, IgnoreValue = (flags & 2) != 0, IgnoreLease = (flags & 4) != 0 };
    }

    private static RangeQuery ReadQuery(ref WireReader r)
    {
        var range = ReadRange(ref r);
        var revision = r.Signed();
        var limit = r.Signed();
        var flags = r.Byte();
        return new RangeQuery(range, revision, limit)
        {
            KeysOnly = (flags & 1) != 0,
            CountOnly = (flags & 2) != 0,
            SortOrder = (SortOrder)r.Unsigned(),
            SortTarget = (SortTarget)r.Unsigned(),
            MinModRevision = r.Signed(),
            MaxModRevision = r.Signed(),
            MinCreateRevision = r.Signed(),
            MaxCreateRevision = r.Signed(),
        };
    }

    private static KeyRange ReadRange(ref WireReader r) => new(r.Bytes(), r.Bytes());
}
