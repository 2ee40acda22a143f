namespace K3sLab.Raft;

/// <summary>
/// The host's state machine as of <see cref="Index"/> (whose entry had <see cref="Term"/>), with the membership at that
/// index. It replaces every log entry up to <see cref="Index"/>. Empty <see cref="Data"/> at index 0 is the empty
/// state machine: the bootstrap snapshot a joining member receives to learn the initial membership.
/// </summary>
public sealed record Snapshot(ulong Index, ulong Term, ConfState ConfState, byte[] Data)
{
    /// <inheritdoc />
    public override string ToString() => $"{Index}@t{Term} {ConfState} ({Data.Length}b)";
}
