using System.Text;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;

namespace K3sLab.Lab.Tests.Replication.State;

/// <summary>
/// Canonical one-line texts of commands, results, events and errors, so two stores' answers compare as strings and a
/// mismatch reads as a diff. Every field is printed.
/// </summary>
internal static class StoreText
{
    public static string Bytes(byte[] bytes)
    {
        var text = new StringBuilder("'");
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7f and not (byte)'\'' and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
        }

        return text.Append('\'').ToString();
    }

    public static string Kv(KeyValue? kv) =>
        kv is null ? "-" : $"{Bytes(kv.Key)}(c{kv.CreateRevision} m{kv.ModRevision} v{kv.Version} l{kv.Lease})={Bytes(kv.Value)}";

    public static string Result(OpResult result) => result switch
    {
        RangeResult r => $"range(rev {r.Revision} more {r.More} count {r.Count} [{string.Join(", ", r.Kvs.Select(Kv))}])",
        PutResult p => $"put(prev {Kv(p.PrevKv)})",
        DeleteResult d => $"delete({d.Deleted} [{string.Join(", ", d.PrevKvs.Select(Kv))}])",
        TxnResult t => $"txn(rev {t.Revision} {(t.Succeeded ? "success" : "failure")} [{string.Join("; ", t.Responses.Select(Result))}])",
        _ => throw new ArgumentException(result.GetType().Name),
    };

    public static string Error(StoreException e) => Error(e.Error, e.CompactRevision);

    public static string Error(StoreError error, long compactRevision) =>
        error == StoreError.Compacted ? $"error {error} (compacted {compactRevision})" : $"error {error}";

    public static string Command(CommandResult result) => result switch
    {
        TxnApplied t => Result(t.Result),
        CompactApplied c => $"compacted at {c.Revision}",
        LeaseGranted g => $"granted {g.Grant.Id} ttl {g.Grant.Ttl}",
        LeaseRevoked r => $"revoked at {r.Revision}",
        CommandFailed f => Error(f.Error, f.CompactRevision),
        _ => throw new ArgumentException(result.GetType().Name),
    };

    public static string Event(StoredEvent e) =>
        $"{e.Revision} {(e.Event.IsDelete ? "DELETE" : "PUT")} {Kv(e.Event.Kv)} prev {Kv(e.Event.PrevKv)}";

    public static string Events(IEnumerable<StoredEvent> events) => string.Join("\n", events.Select(Event));

    public static string Range(KeyRange r) => $"[{Bytes(r.Key)}, {Bytes(r.End)})";

    public static string Query(RangeQuery q) =>
        $"query({Range(q.Range)} rev {q.Revision} limit {q.Limit} keysOnly {q.KeysOnly} countOnly {q.CountOnly} sort {(int)q.SortOrder}/{(int)q.SortTarget} mod {q.MinModRevision}..{q.MaxModRevision} create {q.MinCreateRevision}..{q.MaxCreateRevision})";

    public static string Op(TxnOp op) => op switch
    {
        PutOp p => $"put({Bytes(p.Key)}={Bytes(p.Value)} lease {p.Lease} prevKv {p.PrevKv} ignoreValue {p.IgnoreValue} ignoreLease {p.IgnoreLease})",
        DeleteOp d => $"delete({Range(d.Range)} prevKv {d.PrevKv})",
        RangeOp r => Query(r.Query),
        NestedTxnOp n => Txn(n.Txn),
        _ => throw new ArgumentException(op.GetType().Name),
    };

    public static string Txn(TxnRequest t) =>
        $"txn(if [{string.Join(", ", t.Compares.Select(c => $"{Range(c.Range)} {(int)c.Target} {(int)c.Result} {c.Number} {Bytes(c.Value)}"))}] then [{string.Join("; ", t.Success.Select(Op))}] else [{string.Join("; ", t.Failure.Select(Op))}])";

    public static string Command(StoreCommand command) => command switch
    {
        TxnCommand t => Txn(t.Request),
        CompactCommand c => $"compact({c.Revision})",
        LeaseGrantCommand g => $"grant({g.Id}, {g.Ttl})",
        LeaseRevokeCommand r => $"revoke({r.Id})",
        _ => throw new ArgumentException(command.GetType().Name),
    };
}
