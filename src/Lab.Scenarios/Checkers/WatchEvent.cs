namespace K3sLab.Scenarios.Checkers;

/// <summary>One change in the committed history: <paramref name="Key"/> set to <paramref name="Value"/> (null: deleted) at <paramref name="Revision"/>.</summary>
internal sealed record WatchEvent(long Revision, string Key, string? Value)
{
    /// <inheritdoc />
    public override string ToString() => $"r{Revision} {Key}={Value ?? "<deleted>"}";
}

/// <summary>What a watcher saw, in arrival order.</summary>
internal enum WatchItemKind
{
    /// <summary>The client (re)opened the watch asking for every event from <see cref="WatchStreamItem.Revision"/> on.</summary>
    Start,
    /// <summary>One response carrying <see cref="WatchStreamItem.Events"/>.</summary>
    Response,
    /// <summary>A progress notification (bookmark): every event up to <see cref="WatchStreamItem.Revision"/> was delivered.</summary>
    Progress,
}

/// <summary>One item of a watcher's received stream.</summary>
internal sealed record WatchStreamItem(WatchItemKind Kind, long Revision, IReadOnlyList<WatchEvent> Events)
{
    /// <summary>The watch is opened at <paramref name="fromRevision"/>.</summary>
    public static WatchStreamItem Start(long fromRevision) => new(WatchItemKind.Start, fromRevision, []);

    /// <summary>A response with <paramref name="events"/>.</summary>
    public static WatchStreamItem Response(params WatchEvent[] events) => new(WatchItemKind.Response, 0, events);

    /// <summary>A progress notification at <paramref name="revision"/>.</summary>
    public static WatchStreamItem Progress(long revision) => new(WatchItemKind.Progress, revision, []);
}

/// <summary>The six watch guarantees of etcd's API, as checked by <see cref="WatchChecker"/>.</summary>
internal enum WatchGuarantee
{
    /// <summary>Events arrive in revision order (and in transaction order within a revision).</summary>
    Ordered,
    /// <summary>No event arrives twice on one watch.</summary>
    Unique,
    /// <summary>A revision's events arrive together in one response, never split.</summary>
    Atomic,
    /// <summary>No committed event is skipped between the first and last delivered one.</summary>
    Reliable,
    /// <summary>A watch opened at revision R starts with exactly the history from R.</summary>
    Resumable,
    /// <summary>After a progress notification at R, no event with revision ≤ R arrives, and none ≤ R is missing.</summary>
    Bookmarkable,
}

/// <summary>A broken guarantee on one watcher, with what was seen.</summary>
internal sealed record WatchViolation(string Watcher, WatchGuarantee Guarantee, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => $"watch {Watcher}: {Guarantee} broken: {Detail}";
}
