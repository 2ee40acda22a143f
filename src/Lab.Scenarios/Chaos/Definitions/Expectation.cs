namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>A condition an <see cref="ExpectStep"/> waits for.</summary>
public abstract record Expectation
{
    public abstract string Describe();
}

/// <summary>A write through <see cref="Via"/> (a node reference or <c>lb</c>) succeeds.</summary>
public sealed record WritesSucceed(string Via) : Expectation
{
    public override string Describe() => $"writes ok via {Via}";
}

/// <summary>
/// Writes through <see cref="Via"/> keep failing or timing out for the whole window: the step fails as soon as one
/// succeeds. For the minority side of a partition, which must not commit anything.
/// </summary>
public sealed record WritesRefused(string Via) : Expectation
{
    public override string Describe() => $"writes refused via {Via}";
}

/// <summary>The node's <c>/readyz</c> answers 200 (<see cref="Ready"/>) or anything else (not ready, or no answer).</summary>
public sealed record ReadyzIs(string Node, bool Ready) : Expectation
{
    public override string Describe() => $"readyz {(Ready ? "ok" : "failing")} on {Node}";
}

/// <summary>Every listed node (all nodes when empty) reports Ready=True through the API.</summary>
public sealed record NodesReady(IReadOnlyList<string> Nodes) : Expectation
{
    public override string Describe() => Nodes.Count == 0 ? "all nodes ready" : $"nodes ready: {string.Join(", ", Nodes)}";
}

/// <summary>
/// The datastore lists <see cref="Count"/> voting members and that many servers answer and follow the agreed
/// leader: a restarted or re-joined member is back, not merely still listed.
/// </summary>
public sealed record VotersAre(int Count) : Expectation
{
    public override string Describe() => $"{Count} voters following the leader";
}

/// <summary>The node's own output (its k3s log) contains <see cref="Text"/>.</summary>
public sealed record LogContains(string Node, string Text) : Expectation
{
    public override string Describe() => $"log of {Node} says \"{Text}\"";
}

/// <summary>A reachable majority of the servers agree on a leader, which is none of <see cref="Not"/>.</summary>
public sealed record LeaderElected(IReadOnlyList<string> Not) : Expectation
{
    public override string Describe() => Not.Count == 0 ? "a leader" : $"a leader other than {string.Join(", ", Not)}";
}

/// <summary>The node's Node object reports the node's current lab address as its InternalIP (after <c>change-ip</c>, the new one).</summary>
public sealed record InternalIpIsCurrent(string Node) : Expectation
{
    public override string Describe() => $"{Node} reports its current address as InternalIP";
}
