using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>One member's host in the simulator: a pure node, its disk and state machine, up or crashed.</summary>
internal sealed class SimulatedMember(ulong id, ulong[] members, Random random, PlantedBug bug)
{
    private static readonly RaftConfig s_config = new();

    public ulong Id { get; } = id;
    public SimulatedDisk Disk { get; } = new();
    public RaftNode? Node { get; private set; } = new(id, members, s_config, random, default, []);
    public RevisionedKv StateMachine { get; private set; } = new();
    public bool IsUp => Node is not null;

    /// <summary>Crash with power loss: memory and unsynced writes are gone.</summary>
    public void Crash()
    {
        Node = null;
        Disk.PowerLoss();
    }

    /// <summary>Restart from the synced disk; the state machine is rebuilt by re-applying committed entries.</summary>
    public void Restart()
    {
        var hardState = bug == PlantedBug.ForgetVoteOnRestart ? Disk.HardState with { Vote = RaftNode.None } : Disk.HardState;
        Node = new RaftNode(Id, members, s_config, random, hardState, Disk.Log);
        StateMachine = new RevisionedKv();
    }
}
