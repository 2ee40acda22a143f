namespace K3sLab.K3s.Store;

/// <summary>What a <see cref="Compare"/> looks at, as etcd's <c>Compare.CompareTarget</c>.</summary>
internal enum CompareTarget
{
    Version = 0,
    Create = 1,
    Mod = 2,
    Value = 3,
    Lease = 4,
}

/// <summary>How a <see cref="Compare"/> compares, as etcd's <c>Compare.CompareResult</c>.</summary>
internal enum CompareResult
{
    Equal = 0,
    Greater = 1,
    Less = 2,
    NotEqual = 3,
}

/// <summary>
/// One guard of a transaction: every key in <see cref="Range"/> (a missing single key counts as version, create,
/// mod and lease 0 and an empty value) must satisfy <c>target result operand</c>.
/// </summary>
internal sealed record Compare(KeyRange Range, CompareTarget Target, CompareResult Result, long Number, byte[] Value);

/// <summary>One operation of a transaction branch.</summary>
internal abstract record TxnOp;

/// <summary>Write <see cref="Value"/> to <see cref="Key"/>, as etcd's <c>PutRequest</c>.</summary>
internal sealed record PutOp(byte[] Key, byte[] Value, long Lease = 0) : TxnOp
{
    public bool PrevKv { get; init; }

    public bool IgnoreValue { get; init; }

    public bool IgnoreLease { get; init; }
}

/// <summary>Delete every key in <see cref="Range"/>, as etcd's <c>DeleteRangeRequest</c>.</summary>
internal sealed record DeleteOp(KeyRange Range, bool PrevKv = false) : TxnOp;

/// <summary>Read inside a transaction; it sees the transaction's earlier writes.</summary>
internal sealed record RangeOp(RangeQuery Query) : TxnOp;

/// <summary>A nested transaction (etcd 3.3+).</summary>
internal sealed record NestedTxnOp(TxnRequest Txn) : TxnOp;

/// <summary>
/// An atomic compare-and-act: when every compare holds, <see cref="Success"/> runs, otherwise <see cref="Failure"/>.
/// All writes of one transaction share one new store revision, as in etcd. Put and Delete are transactions
/// without compares.
/// </summary>
internal sealed record TxnRequest(IReadOnlyList<Compare> Compares, IReadOnlyList<TxnOp> Success, IReadOnlyList<TxnOp> Failure)
{
    public static TxnRequest Of(TxnOp op) => new([], [op], []);

    /// <summary>True when some branch can write, so the transaction has to go through the single writer.</summary>
    public bool CanWrite => Success.Concat(Failure).Any(op => op switch
    {
        PutOp or DeleteOp => true,
        NestedTxnOp n => n.Txn.CanWrite,
        _ => false,
    });
}

/// <summary>The answer to one <see cref="TxnOp"/>.</summary>
internal abstract record OpResult;

/// <summary>The previous version of the key when asked for and the key existed.</summary>
internal sealed record PutResult(KeyValue? PrevKv) : OpResult;

/// <summary>How many keys were deleted, and their last versions when asked for.</summary>
internal sealed record DeleteResult(long Deleted, IReadOnlyList<KeyValue> PrevKvs) : OpResult;

/// <summary>
/// The answer to a transaction: the store revision after it (the new revision when it wrote, the current one
/// otherwise), which branch ran and one result per operation of that branch.
/// </summary>
internal sealed record TxnResult(long Revision, bool Succeeded, IReadOnlyList<OpResult> Responses) : OpResult;
