namespace K3sLab.Raft;

/// <summary>What an <see cref="Entry"/> carries.</summary>
public enum EntryType
{
    /// <summary>Application data for the host's state machine (empty: a leader's no-op).</summary>
    Normal,
    /// <summary>An encoded <see cref="ConfChange"/>; the host decodes it and calls <see cref="RaftNode.ApplyConfChange"/> when it applies the entry.</summary>
    ConfChange,
}
