namespace K3sLab.K3s.Store;

/// <summary>
/// The checks etcd makes before a transaction reaches the store: keys present, ignore_value/ignore_lease used
/// alone, at most <c>maxOps</c> compares and operations per branch, and no key written twice in a branch (a put
/// may not overlap another put or a delete of the same branch, nested transactions included). Pure.
/// </summary>
internal static class TxnValidation
{
    /// <summary>etcd's default <c>--max-txn-ops</c>.</summary>
    public const int DefaultMaxOps = 128;

    public static void Validate(TxnRequest txn, int maxOps = DefaultMaxOps)
    {
        if (txn.Compares.Count > maxOps || txn.Success.Count > maxOps || txn.Failure.Count > maxOps)
        {
            throw new StoreException(StoreError.TooManyOps, $"a transaction branch may hold at most {maxOps} operations");
        }

        foreach (var compare in txn.Compares)
        {
            RequireKey(compare.Range.Key);
        }

        ValidateOps(txn.Success, maxOps);
        ValidateOps(txn.Failure, maxOps);
        CheckIntervals(txn.Success);
        CheckIntervals(txn.Failure);
    }

    public static void ValidateRange(RangeQuery query) => RequireKey(query.Range.Key);

    private static void ValidateOps(IReadOnlyList<TxnOp> ops, int maxOps)
    {
        foreach (var op in ops)
        {
            switch (op)
            {
                case RangeOp r:
                    RequireKey(r.Query.Range.Key);
                    break;
                case PutOp p:
                    RequireKey(p.Key);
                    if (p.IgnoreValue && p.Value.Length != 0)
                    {
                        throw new StoreException(StoreError.ValueProvided, "a put with ignore_value must not carry a value");
                    }

                    if (p.IgnoreLease && p.Lease != 0)
                    {
                        throw new StoreException(StoreError.LeaseProvided, "a put with ignore_lease must not carry a lease");
                    }

                    break;
                case DeleteOp d:
                    RequireKey(d.Range.Key);
                    break;
                case NestedTxnOp n:
                    Validate(n.Txn, maxOps);
                    break;
            }
        }
    }

    private static void RequireKey(byte[] key)
    {
        if (key.Length == 0)
        {
            throw new StoreException(StoreError.EmptyKey, "the request has no key");
        }
    }

    private static void CheckIntervals(IReadOnlyList<TxnOp> ops)
    {
        var puts = new HashSet<byte[]>(ByteKeyComparer.Instance);
        var deletes = new List<KeyRange>();
        Collect(ops, puts, deletes);
    }

    /// <summary>Collects the branch's writes, nested branches each on their own (only one of them runs).</summary>
    private static void Collect(IReadOnlyList<TxnOp> ops, HashSet<byte[]> puts, List<KeyRange> deletes)
    {
        foreach (var op in ops)
        {
            switch (op)
            {
                case PutOp p:
                    if (!puts.Add(p.Key) || deletes.Any(d => d.Contains(p.Key)))
                    {
                        throw Duplicate();
                    }

                    break;
                case DeleteOp d:
                    if (puts.Any(key => d.Range.Contains(key)))
                    {
                        throw Duplicate();
                    }

                    deletes.Add(d.Range);
                    break;
                case NestedTxnOp n:
                    foreach (var branch in new[] { n.Txn.Success, n.Txn.Failure })
                    {
                        var nestedPuts = new HashSet<byte[]>(puts, ByteKeyComparer.Instance);
                        var nestedDeletes = new List<KeyRange>(deletes);
                        Collect(branch, nestedPuts, nestedDeletes);
                    }

                    break;
            }
        }
    }

    private static StoreException Duplicate() => new(StoreError.DuplicateKey, "a transaction branch writes the same key twice");
}
