namespace K3sLab.Scenarios.Simulation;

/// <summary>A deterministic state machine fed committed Raft entries in order; the real MVCC store can take its place.</summary>
internal interface IReplicatedStateMachine
{
    /// <summary>Applies one committed command (empty data is a leader no-op) and returns the client's answer, if any.</summary>
    KvResult? Apply(ulong index, byte[] command);

    /// <summary>Index of the last applied entry.</summary>
    ulong AppliedIndex { get; }

    /// <summary>A hash of the whole state (the HashKV analogue); equal on members that applied the same prefix.</summary>
    ulong StateHash { get; }
}
