namespace K3sLab.Raft;

/// <summary>The single-step membership changes (one member at a time, so old and new quorums always overlap).</summary>
public enum ConfChangeType : byte
{
    /// <summary>Adds a voter directly. Prefer <see cref="AddLearner"/> then <see cref="PromoteLearner"/>: a new voter with an empty log weakens availability until it catches up.</summary>
    AddVoter = 0,
    /// <summary>Adds a member that receives the log but never votes nor counts toward commit.</summary>
    AddLearner = 1,
    /// <summary>Turns a learner into a voter; the leader refuses it until the learner is in sync.</summary>
    PromoteLearner = 2,
    /// <summary>Removes a voter or learner. A removed member stops campaigning; a removed leader steps down once the change applies.</summary>
    RemoveNode = 3,
}
