namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// One metric's answer: the replica count it proposes, the current utilization (percent of request, for
/// Utilization targets) and raw average usage in milli-units; or the error that kept it from answering.
/// </summary>
internal readonly record struct ReplicaProposal(int Replicas, int Utilization, long RawAverage, string? Error)
{
    public static ReplicaProposal Failed(string error) => new(0, 0, 0, error);
}
