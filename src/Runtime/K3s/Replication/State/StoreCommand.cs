using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// One write of the replicated store, as it travels through the Raft log: every member applies the committed
/// commands in log order to its <see cref="MvccState"/>, so a command carries everything the outcome depends on
/// (no clocks, no random choices left to the members). Encoded by <see cref="StoreCommandCodec"/>.
/// </summary>
/// <remarks>
/// Ownership: the byte arrays inside a command become part of the state once applied; nobody may change them
/// afterwards.
/// </remarks>
internal abstract record StoreCommand;

/// <summary>A transaction (put and delete are transactions with one operation).</summary>
internal sealed record TxnCommand(TxnRequest Request) : StoreCommand;

/// <summary>Discards history before <paramref name="Revision"/> (etcd Compact).</summary>
internal sealed record CompactCommand(long Revision) : StoreCommand;

/// <summary>
/// Grants a lease with the TTL in seconds the client asked for. Contract: <paramref name="Id"/> is never 0: when the
/// client passes 0 the leader picks a free nonzero ID before proposing, because members must not choose randomly.
/// The state raises the TTL to its minimum and refuses one above its maximum, deterministically.
/// </summary>
internal sealed record LeaseGrantCommand(long Id, long Ttl) : StoreCommand;

/// <summary>
/// Revokes a lease and deletes its keys in one revision. The leader also proposes it when a lease expires: TTL
/// countdown is the leader's job, never the state's.
/// </summary>
internal sealed record LeaseRevokeCommand(long Id) : StoreCommand;
