namespace K3sLab.Perf.AgentLb;

/// <summary>
/// One failover trial: the agent's active server (<paramref name="Killed"/>) was killed with SIGKILL;
/// <paramref name="RecoverySeconds"/> runs from the kill to the first request through the agent's load balancer
/// (a new connection each, as kubectl makes) that the API answered 200; <paramref name="LeaseRenewedSeconds"/> from
/// the kill to the first renewal of the agent's node Lease after it; <paramref name="KillCallSeconds"/> is how long the
/// kill itself took to return (a process is reaped at once; <c>docker kill</c> returns once the container stopped).
/// </summary>
internal sealed record AgentLbTrial(
    int Trial,
    string Killed,
    bool KilledWasLeader,
    double RecoverySeconds,
    int FailedProbes,
    double LeaseRenewedSeconds,
    double KillCallSeconds);
