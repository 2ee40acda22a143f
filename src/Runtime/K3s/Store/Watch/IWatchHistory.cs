namespace K3sLab.K3s.Store.Watch;

/// <summary>Where a watcher that fell behind reads the changes it missed.</summary>
internal interface IWatchHistory
{
    /// <summary>The compacted revision: history before it is gone.</summary>
    long CompactRevision { get; }

    /// <summary>
    /// The changes with revisions in [<paramref name="from"/>, <paramref name="to"/>] in order, whole revisions only,
    /// and the revision through which the answer is complete (<paramref name="to"/> unless it stopped at the page size).
    /// </summary>
    Task<(IReadOnlyList<StoredEvent> Events, long Through)> ReadAsync(long from, long to, CancellationToken cancellationToken);
}
