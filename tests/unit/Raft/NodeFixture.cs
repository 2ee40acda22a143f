namespace K3sLab.Raft.Tests;

/// <summary>Builds single nodes for focused tests and plays the host for them.</summary>
internal static class NodeFixture
{
    public static readonly RaftConfig NoPreVote = new() { PreVote = false, CheckQuorum = false };

    public static RaftNode New(ulong id, ConfState conf, RaftConfig? config = null) =>
        new(id, conf, config ?? new RaftConfig(), new Random((int)id), default, null, []);

    public static ConfState Voters(params ulong[] voters) => new(voters, []);

    /// <summary>Takes one Ready, applies configuration changes in it, and advances.</summary>
    public static Ready Drain(RaftNode n)
    {
        var ready = n.TakeReady();
        foreach (var e in ready.CommittedEntries.Where(e => e.Type == EntryType.ConfChange))
        {
            n.ApplyConfChange(ConfChange.Decode(e.Data));
        }
        n.Advance(ready);
        return ready;
    }

    /// <summary>Drains until the node has nothing left to hand out.</summary>
    public static void DrainAll(RaftNode n)
    {
        for (var i = 0; i < 100 && n.HasReady; i++)
        {
            Drain(n);
        }
    }

    /// <summary>A member that is the only voter, elected and with its first entry committed and applied.</summary>
    public static RaftNode SoleLeader(ConfState conf)
    {
        var n = New(1, conf);
        TickUntil(n, () => n.Role == RaftRole.Leader);
        DrainAll(n);
        return n;
    }

    public static void TickUntil(RaftNode n, Func<bool> done)
    {
        for (var i = 0; i < 100 && !done(); i++)
        {
            n.Tick();
        }
    }
}
