using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>One thing for the host loop to feed the Raft core; the loop is the only caller of the core.</summary>
internal abstract record HostInput
{
    public sealed record Tick : HostInput;

    public sealed record Receive(IReadOnlyList<Message> Messages) : HostInput;

    public sealed record Propose(byte[] Data, TaskCompletionSource<(ulong Term, ulong Index)?> Done) : HostInput;

    public sealed record ProposeConfChange(ConfChange Change, TaskCompletionSource<ProposalResult> Done) : HostInput;

    public sealed record Read(TaskCompletionSource<ulong> Done) : HostInput;

    public sealed record Transfer(ulong Target, TaskCompletionSource<bool> Done) : HostInput;

    public sealed record Unreachable(ulong Member) : HostInput;

    /// <summary>The transport saw a member's process die (its stream ended, its port refuses connections).</summary>
    public sealed record PeerDown(ulong Member) : HostInput;

    public sealed record SnapshotSent(ulong Member, bool Ok) : HostInput;

    /// <summary>Runs on the loop between Readies (status copies, lease bookkeeping that needs the core's view).</summary>
    public sealed record Run(Action Action) : HostInput;
}
