namespace K3sLab.K3s.Agent.LoadBalancer;

internal sealed partial class LoadBalancerHost
{
    /// <summary>Applies one input to the server list under the lock, then enacts its decision.</summary>
    private void Decide(string address, bool success, bool fromDial)
    {
        LoadBalancerDecision decision;
        List<ProxiedConnection>? close;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            decision = fromDial
                ? success ? _servers.DialSucceeded(address, now) : _servers.DialFailed(address, now)
                : _servers.HealthChecked(address, success, now);
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
