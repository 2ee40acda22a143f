using System.Collections.Concurrent;

namespace K3sLab.Scenarios.Chaos.Running;

/// <summary>Something that happened at a time of the run: a step, a fault, a leader change, an error.</summary>
/// <param name="At">Seconds since the run started.</param>
/// <param name="Kind"><c>step</c>, <c>fault</c>, <c>heal</c>, <c>leader</c>, <c>ready</c>, <c>note</c>.</param>
/// <param name="Text">What, in one line.</param>
public sealed record TimelineEvent(double At, string Kind, string Text);

/// <summary>The outcome of one workload operation.</summary>
public enum OperationOutcome
{
    /// <summary>The request succeeded.</summary>
    Ok,
    /// <summary>The request definitely did not take effect (e.g. 409 on a compare-and-swap, 404).</summary>
    Failed,
    /// <summary>No answer, a timeout or a 5xx: the write may or may not have taken effect.</summary>
    Unknown,
}

/// <summary>
/// One workload request as the client saw it. Times are microseconds of <see cref="RunClock"/>; <see cref="Return"/>
/// is when the answer (or the timeout) came.
/// </summary>
/// <param name="Client">The client's number.</param>
/// <param name="Kind"><c>read</c>, <c>cas</c> (compare-and-swap on the resourceVersion), <c>create</c> (register or ledger).</param>
/// <param name="Key">The ConfigMap's name.</param>
/// <param name="Call">When the request was sent.</param>
/// <param name="Return">When the answer or the timeout came.</param>
/// <param name="Outcome">What the client concluded.</param>
public sealed record OperationRecord(int Client, string Kind, string Key, long Call, long Return, OperationOutcome Outcome)
{
    /// <summary>Read: the value seen (null: absent). Writes: the value written.</summary>
    public string? Value { get; init; }

    /// <summary>Read: the resourceVersion seen (0: absent). Successful writes: the new resourceVersion. CAS: see <see cref="Expected"/>.</summary>
    public long Revision { get; init; }

    /// <summary>CAS: the resourceVersion the write required (0: create, the key must be absent).</summary>
    public long Expected { get; init; }

    /// <summary>Where the request went (<c>lb</c> or a node's short name).</summary>
    public string Via { get; init; } = "lb";

    /// <summary>For failed and unknown outcomes: the status code or error, briefly.</summary>
    public string? Error { get; init; }

    /// <summary>Whether this is a write (anything but a read).</summary>
    public bool IsWrite => Kind != "read";
}

/// <summary>One poll of one datastore member: whom it follows in which term, at which revision; null fields when it did not answer.</summary>
/// <param name="At">Seconds since the run started.</param>
/// <param name="Node">The server's short name.</param>
/// <param name="Term">The member's Raft term.</param>
/// <param name="Leader">The leader's short name as this member sees it (null: none, or unknown member id).</param>
/// <param name="Revision">The member's store revision.</param>
public sealed record MemberObservation(double At, string Node, long? Term, string? Leader, long? Revision);

/// <summary>Everything a run records, appended to concurrently by workload clients, observers and the runner.</summary>
public sealed class RunRecord
{
    private readonly ConcurrentQueue<TimelineEvent> _timeline = new();
    private readonly ConcurrentQueue<OperationRecord> _operations = new();
    private readonly ConcurrentQueue<MemberObservation> _members = new();
    private readonly ConcurrentQueue<(double At, string Node, string Ready)> _readiness = new();

    public RunRecord(RunClock clock) => Clock = clock;

    public RunClock Clock { get; }

    public IReadOnlyList<TimelineEvent> Timeline => [.. _timeline.OrderBy(e => e.At)];

    public IReadOnlyList<OperationRecord> Operations => [.. _operations.OrderBy(o => o.Call)];

    public IReadOnlyList<MemberObservation> Members => [.. _members.OrderBy(m => m.At)];

    /// <summary>Node Ready condition statuses seen by the readiness observer.</summary>
    public IReadOnlyList<(double At, string Node, string Ready)> Readiness => [.. _readiness.OrderBy(r => r.At)];

    public void Event(string kind, string text) => _timeline.Enqueue(new TimelineEvent(Clock.Seconds, kind, text));

    /// <summary>An event that began at <paramref name="at"/> (seconds of <see cref="Clock"/>), recorded once it is known to have happened.</summary>
    public void Event(string kind, string text, double at) => _timeline.Enqueue(new TimelineEvent(at, kind, text));

    public void Operation(OperationRecord operation) => _operations.Enqueue(operation);

    public void Member(MemberObservation observation) => _members.Enqueue(observation);

    public void Ready(string node, string ready) => _readiness.Enqueue((Clock.Seconds, node, ready));
}
