namespace K3sLab.K3s.Agent.LoadBalancer;

internal sealed partial class LoadBalancerHost
{
    /// <summary>The server list (without the default), as last set or restored from the state file.</summary>
    public IReadOnlyList<string> Servers
    {
        get
        {
            lock (_gate)
            {
                return _addresses;
            }
        }
    }

    /// <summary>
    /// Replaces the server list (host:port addresses from <c>/v1-k3s/apiservers</c> or the <c>kubernetes</c>
    /// EndpointSlices): new servers start UNCHECKED, removed ones are dropped and their connections closed, and the
    /// list is saved. An empty list is ignored, as in k3s: the apiserver briefly lists no endpoints while it
    /// restarts, and dropping every server then would leave only the default.
    /// </summary>
    public void SetServers(IEnumerable<string> addresses)
    {
        string[] wanted = [.. addresses.Where(a => a.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (wanted.Length == 0)
        {
            Log.EmptyListIgnored(_logger, _options.ServiceName);
            return;
        }

        LoadBalancerDecision decision;
        List<ProxiedConnection>? close;
        string? defaultServer;
        lock (_gate)
        {
            if (wanted.AsSpan().SequenceEqual(_addresses))
            {
                return;
            }

            _addresses = wanted;
            decision = _servers.SetAddresses(wanted, _time.GetUtcNow());
            close = Collect(decision);
            defaultServer = _servers.DefaultServer;
        }

        Log.ServersUpdated(_logger, _options.ServiceName, string.Join(" ", wanted), defaultServer ?? "none");
        Enact(decision, close);
        Save();
    }

    /// <summary>
    /// Changes the default (last-resort) server; null clears it. Connections to a replaced default are closed. The
    /// state file is unchanged: as in k3s, it holds the list under the <c>--server</c> URL, not the default.
    /// </summary>
    public void SetDefault(string? address)
    {
        LoadBalancerDecision decision;
        List<ProxiedConnection>? close;
        lock (_gate)
        {
            if (address == _servers.DefaultServer)
            {
                return;
            }

            decision = _servers.SetDefault(address, _time.GetUtcNow());
            close = Collect(decision);
        }

        Log.DefaultUpdated(_logger, _options.ServiceName, address ?? "none");
        Enact(decision, close);
    }
}
