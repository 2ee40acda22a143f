namespace K3sLab.Raft;

/// <summary>
/// Answer to <see cref="RaftNode.ReadIndex"/>: once the host has applied through <see cref="Index"/>, a read issued
/// with <see cref="Context"/> may be served from the local state machine and is linearizable.
/// </summary>
public readonly record struct ReadState(ulong Index, byte[] Context);
