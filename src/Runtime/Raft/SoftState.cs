namespace K3sLab.Raft;

/// <summary>Volatile state a host may want to observe (leader changes); never persisted.</summary>
public readonly record struct SoftState(ulong Leader, RaftRole Role);
