namespace K3sLab.Scenarios.Simulation;

/// <summary>A request a client is waiting on.</summary>
internal sealed class ClientRequest(KvCommand command, long call, long deadline, ulong member, int incarnation)
{
    public KvCommand Command { get; } = command;

    /// <summary>History clock value at invocation.</summary>
    public long Call { get; } = call;

    /// <summary>Tick after which the client gives up (outcome unknown).</summary>
    public long Deadline { get; } = deadline;

    public ulong Member { get; } = member;
    public int Incarnation { get; } = incarnation;

    /// <summary>The tick the request was sent at.</summary>
    public long Sent { get; init; }

    /// <summary>Where the leader put the entry; 0 while queued at a paused member.</summary>
    public ulong Index { get; set; }
}

/// <summary>
/// A sequential client: at most one request in flight, sent to the member it believes leads, with a timeout. It
/// remembers the last mod revision it saw per key to aim its compare-and-swaps.
/// </summary>
internal sealed class SimulatedClient(int id, ulong leaderGuess)
{
    /// <summary>The member this client always sends to (it forwards writes to its leader); 0: follow the leader.</summary>
    public ulong Pinned { get; set; }

    public int Id { get; } = id;
    public ulong LeaderGuess { get; set; } = leaderGuess;
    public long NextTick { get; set; }
    public ClientRequest? Pending { get; set; }
    public int Sequence { get; set; }
    public Dictionary<string, long> LastRevision { get; } = new(StringComparer.Ordinal);
}
