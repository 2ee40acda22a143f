using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// What applying one <see cref="StoreCommand"/> answers the client that proposed it. Every member computes the same
/// value for the same log entry; a failure is a value too (<see cref="CommandFailed"/>), because a deterministic
/// refusal is part of the replicated outcome, not an exception of one member.
/// </summary>
internal abstract record CommandResult;

/// <summary>The transaction ran; <see cref="TxnResult.Revision"/> is the store revision after it.</summary>
internal sealed record TxnApplied(TxnResult Result) : CommandResult;

/// <summary>The compaction was recorded; <paramref name="Revision"/> is the store revision at the time (as etcd answers).</summary>
internal sealed record CompactApplied(long Revision) : CommandResult;

/// <summary>The lease exists now with the TTL it was granted (raised to the minimum).</summary>
internal sealed record LeaseGranted(LeaseGrant Grant) : CommandResult;

/// <summary>The lease is gone and its keys deleted; <paramref name="Revision"/> is the store revision after it.</summary>
internal sealed record LeaseRevoked(long Revision) : CommandResult;

/// <summary>
/// The command changed nothing: the error the SQLite store would have thrown, with the same
/// <see cref="StoreError"/>, and for <see cref="StoreError.Compacted"/> the compacted revision.
/// </summary>
internal sealed record CommandFailed(StoreError Error, string Message, long CompactRevision = 0) : CommandResult
{
    public StoreException ToException() => new(Error, Message) { CompactRevision = CompactRevision };
}
