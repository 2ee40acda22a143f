namespace K3sLab.K3s.Agent.LoadBalancer;

internal sealed partial class LoadBalancerHost
{
    /// <summary>Reports a failed dial under the lock, then enacts the decision.</summary>
    private void ReportDialFailure(string address)
    {
        LoadBalancerDecision decision;
        List<ProxiedConnection>? close;
        lock (_gate)
        {
            decision = _servers.DialFailed(address, _time.GetUtcNow());
            close = Collect(decision);
        }

        Enact(decision, close);
    }

    /// <summary>
    /// The agent's tunnel to <paramref name="address"/> ended after it had connected (<see cref="AgentTunnels"/>).
    /// A killed server's kernel closes the tunnel at once even where its address then stops answering (a container
    /// taken down with its network), while a health check or a dial would wait out its timeout: so the server fails
    /// now and its connections are closed, and the next dial goes to another server.
    /// </summary>
    public void ReportTunnelClosed(string address)
    {
        LoadBalancerDecision decision;
        List<ProxiedConnection>? close;
        lock (_gate)
        {
            decision = _servers.TunnelClosed(address, _time.GetUtcNow());
            close = Collect(decision);
        }

        Enact(decision, close);
    }

    /// <summary>Reports a health-check result under the lock, then enacts the decision.</summary>
    private void ReportHealth(string address, bool healthy)
    {
        LoadBalancerDecision decision;
        List<ProxiedConnection>? close;
        lock (_gate)
        {
            decision = _servers.HealthChecked(address, healthy, _time.GetUtcNow());
            close = Collect(decision);
        }

        Enact(decision, close);
    }

    /// <summary>The open connections a decision closes; called under the lock.</summary>
    private List<ProxiedConnection>? Collect(LoadBalancerDecision decision)
    {
        List<ProxiedConnection>? close = null;
        foreach (var address in decision.CloseConnectionsTo)
        {
            if (_connections.TryGetValue(address, out var open) && open.Count > 0)
            {
                (close ??= []).AddRange(open);
            }
        }

        return close;
    }

    /// <summary>Logs the transitions and aborts the collected connections; called outside the lock.</summary>
    private void Enact(LoadBalancerDecision decision, List<ProxiedConnection>? close)
    {
        foreach (var transition in decision.Transitions)
        {
            Log.Transition(_logger, transition);
        }

        if (close is null)
        {
            return;
        }

        Log.ClosingConnections(_logger, close.Count, string.Join(" ", decision.CloseConnectionsTo));
        foreach (var connection in close)
        {
            connection.Abort();
        }
    }
}
