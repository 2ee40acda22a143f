namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>One state change, for the log line k3s prints: <c>Server 10.0.0.2:6443@PREFERRED-&gt;ACTIVE from successful dial</c>.</summary>
internal sealed record ServerTransition(string Address, ServerState From, ServerState To, string Cause)
{
    public override string ToString() => $"Server {Address}@{From.ToString().ToUpperInvariant()}->{To.ToString().ToUpperInvariant()} from {Cause}";
}

/// <summary>
/// What the host must do after an input to <see cref="ServerList"/>: close every open connection to the listed
/// servers (clients then reconnect through the balancer and land on the preferred server), and log the transitions.
/// Closing comes after the state change is applied, so reconnects already see the new order.
/// </summary>
internal sealed record LoadBalancerDecision(IReadOnlyList<string> CloseConnectionsTo, IReadOnlyList<ServerTransition> Transitions)
{
    public static LoadBalancerDecision None { get; } = new([], []);
}
