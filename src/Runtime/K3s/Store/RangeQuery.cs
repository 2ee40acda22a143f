namespace K3sLab.K3s.Store;

/// <summary>Sort order of a range, as etcd's <c>RangeRequest.SortOrder</c>.</summary>
internal enum SortOrder
{
    None = 0,
    Ascend = 1,
    Descend = 2,
}

/// <summary>Sort target of a range, as etcd's <c>RangeRequest.SortTarget</c>.</summary>
internal enum SortTarget
{
    Key = 0,
    Version = 1,
    Create = 2,
    Mod = 3,
    Value = 4,
}

/// <summary>
/// A read of the keys in <see cref="Range"/> as of <see cref="Revision"/> (0: the current revision), with etcd's
/// <c>RangeRequest</c> options. <see cref="Limit"/> 0 means no limit; the mod/create bounds are inclusive and 0
/// means unbounded.
/// </summary>
internal sealed record RangeQuery(KeyRange Range, long Revision = 0, long Limit = 0)
{
    public bool KeysOnly { get; init; }

    public bool CountOnly { get; init; }

    public SortOrder SortOrder { get; init; }

    public SortTarget SortTarget { get; init; }

    public long MinModRevision { get; init; }

    public long MaxModRevision { get; init; }

    public long MinCreateRevision { get; init; }

    public long MaxCreateRevision { get; init; }

    /// <summary>A read the member may answer from its own copy without confirming it is current (etcd's serializable read).</summary>
    public bool Serializable { get; init; }

    /// <summary>True when the store must read every key in the range before it can apply the limit.</summary>
    public bool NeedsFullScan =>
        MinModRevision != 0 || MaxModRevision != 0 || MinCreateRevision != 0 || MaxCreateRevision != 0
        || !(SortTarget == SortTarget.Key && SortOrder is SortOrder.None or SortOrder.Ascend);
}

/// <summary>The answer to a <see cref="RangeQuery"/>: the store revision it was read at, the keys, whether more keys matched than the limit, and how many keys the range holds.</summary>
internal sealed record RangeResult(long Revision, IReadOnlyList<KeyValue> Kvs, bool More, long Count) : OpResult;
