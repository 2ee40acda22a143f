namespace K3sLab.K3s.Replication.State;

/// <summary>
/// The limits an <see cref="MvccState"/> applies. Part of the replicated behaviour: every member of a cluster must
/// run with the same values. The defaults are the SQLite store's (etcd's).
/// </summary>
internal sealed record MvccStateOptions
{
    /// <summary>The smallest lease TTL in seconds; shorter grants are raised to it.</summary>
    public long MinLeaseTtl { get; init; } = 2;

    /// <summary>etcd's maximum lease TTL in seconds; a longer grant fails.</summary>
    public long MaxLeaseTtl { get; init; } = 9_000_000_000;

    /// <summary>etcd's <c>--max-txn-ops</c>: compares and operations per branch.</summary>
    public int MaxTxnOps { get; init; } = Store.TxnValidation.DefaultMaxOps;
}
