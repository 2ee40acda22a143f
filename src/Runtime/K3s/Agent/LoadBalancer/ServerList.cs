namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>
/// The agent load balancer's decision core, as k3s's: all connections go to one server, and the balancer fails over
/// only when a dial or a health check fails. It owns no sockets, timers or clock: the host reports dials, health
/// checks and connection counts with the current time, and applies the returned <see cref="LoadBalancerDecision"/>.
/// Not thread-safe: the host serializes calls.
/// </summary>
/// <remarks>
/// Transitions (k3s PR #11329): FAILED or UNCHECKED + success → RECOVERING; RECOVERING + health check → ACTIVE when it
/// has connections, else PREFERRED; HEALTHY or PREFERRED + successful dial → ACTIVE; PREFERRED for over a minute
/// without a dial → HEALTHY; any failure of HEALTHY, PREFERRED or ACTIVE → FAILED with its connections closed;
/// UNCHECKED and RECOVERING fail only on a dial. A server becoming ACTIVE closes connections to FAILED, STANDBY,
/// RECOVERING and HEALTHY servers, which moves clients back to it. A passing health check that leaves a listed server
/// PREFERRED, HEALTHY or ACTIVE closes the STANDBY default's connections, so clients that fell back to it return.
/// </remarks>
/// <param name="neverFailBack">
/// Test-only planted bug (<c>never-fail-back</c>): a server the balancer lost, because it failed or because it left the
/// server list (a server that stops cleanly removes its own endpoint before any health check can fail it), is FAILED
/// for good and never dialed again, even after it is back in the list, so the balancer never fails back. Off in every
/// real use.
/// </param>
internal sealed class ServerList(bool neverFailBack = false)
{
    /// <summary>How long a PREFERRED server stays preferred without being dialed.</summary>
    public static readonly TimeSpan PreferredFor = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Entry> _servers = new(StringComparer.Ordinal);

    // Only the planted bug fills this: servers that failed or left the list once and are never used again.
    private readonly HashSet<string> _failedForGood = new(StringComparer.Ordinal);
    private string? _default;

    /// <summary>The <c>--server</c> address (host:port), kept in STANDBY when it is not in the server list.</summary>
    public string? DefaultServer => _default;

    /// <summary>Whether <paramref name="address"/> is listed or is the default.</summary>
    public bool Contains(string address) => _servers.ContainsKey(address);

    /// <summary>Current states, for status output and tests.</summary>
    public IReadOnlyDictionary<string, ServerState> States => _servers.ToDictionary(kv => kv.Key, kv => kv.Value.State, StringComparer.Ordinal);

    /// <summary>Sets the default server; null or empty clears it (as when <c>--server</c> points at the balancer itself).</summary>
    public LoadBalancerDecision SetDefault(string? address, DateTimeOffset now)
    {
        var previous = _default;
        _default = string.IsNullOrEmpty(address) ? null : address;
        IReadOnlyList<string> close = [];
        if (previous is not null && previous != _default && _servers.TryGetValue(previous, out var old) && old.State == ServerState.Standby)
        {
            // A replaced default that was only a last resort leaves; the new one still has to be added below.
            _servers.Remove(previous);
            close = [previous];
        }

        if (_default is not null && !_servers.ContainsKey(_default))
        {
            _servers[_default] = new Entry(ServerState.Standby, now);
        }

        return close.Count == 0 ? LoadBalancerDecision.None : new LoadBalancerDecision(close, []);
    }

    /// <summary>
    /// Replaces the server list (from <c>/v1-k3s/apiservers</c> or the <c>kubernetes</c> EndpointSlices). New addresses
    /// start UNCHECKED; removed ones are dropped and their connections closed; the default stays as STANDBY.
    /// </summary>
    public LoadBalancerDecision SetAddresses(IEnumerable<string> addresses, DateTimeOffset now)
    {
        var wanted = addresses.Where(a => a.Length > 0).ToHashSet(StringComparer.Ordinal);
        var close = new List<string>();
        var transitions = new List<ServerTransition>();
        foreach (var (address, entry) in _servers.ToList())
        {
            if (wanted.Contains(address))
            {
                if (entry.State == ServerState.Standby)
                {
                    Move(address, ServerState.Unchecked, "server list update", now, transitions);
                }

                continue;
            }

            if (address == _default)
            {
                if (entry.State != ServerState.Standby)
                {
                    Move(address, ServerState.Standby, "removal from the server list", now, transitions);
                }

                continue;
            }

            _servers.Remove(address);
            close.Add(address);
            if (neverFailBack)
            {
                _failedForGood.Add(address);
            }
        }

        foreach (var address in wanted.Where(a => !_servers.ContainsKey(a)))
        {
            _servers[address] = new Entry(_failedForGood.Contains(address) ? ServerState.Failed : ServerState.Unchecked, now);
        }

        return new LoadBalancerDecision(close, transitions);
    }

    /// <summary>The order in which to dial: most preferred state first, then fewest connections, then address.</summary>
    public IReadOnlyList<string> DialOrder() =>
        [.. _servers.Where(kv => kv.Value.State != ServerState.Invalid && !_failedForGood.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value.State)
            .ThenBy(kv => kv.Value.Connections)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key)];

    public LoadBalancerDecision DialSucceeded(string address, DateTimeOffset now)
    {
        if (!_servers.TryGetValue(address, out var entry))
        {
            return LoadBalancerDecision.None;
        }

        entry.LastDial = now;
        if (_failedForGood.Contains(address))
        {
            return LoadBalancerDecision.None;
        }

        return entry.State switch
        {
            ServerState.Healthy or ServerState.Preferred => Activate(address, "successful dial", now),
            ServerState.Failed or ServerState.Unchecked => Single(address, ServerState.Recovering, "successful dial", now),
            _ => LoadBalancerDecision.None,
        };
    }

    public LoadBalancerDecision DialFailed(string address, DateTimeOffset now) =>
        _servers.TryGetValue(address, out var entry) && entry.State is ServerState.Healthy or ServerState.Preferred or ServerState.Active or ServerState.Unchecked or ServerState.Recovering
            ? Fail(address, "failed dial", now)
            : LoadBalancerDecision.None;

    /// <summary>
    /// The agent's tunnel to the server ended after it had connected: its process closed the connection or its
    /// kernel reset it, so the server is gone or restarting. k3s takes the tunnel's state as the server's health; the
    /// states a failed dial fails are failed here too, without waiting for the next health-check round.
    /// </summary>
    public LoadBalancerDecision TunnelClosed(string address, DateTimeOffset now) =>
        _servers.TryGetValue(address, out var entry) && entry.State is ServerState.Healthy or ServerState.Preferred or ServerState.Active or ServerState.Unchecked or ServerState.Recovering
            ? Fail(address, "closed tunnel", now)
            : LoadBalancerDecision.None;

    public LoadBalancerDecision HealthChecked(string address, bool healthy, DateTimeOffset now)
    {
        if (!_servers.TryGetValue(address, out var entry))
        {
            return LoadBalancerDecision.None;
        }

        if (!healthy)
        {
            return entry.State is ServerState.Healthy or ServerState.Preferred or ServerState.Active
                ? Fail(address, "failed health check", now)
                : LoadBalancerDecision.None;
        }

        if (_failedForGood.Contains(address))
        {
            return LoadBalancerDecision.None;
        }

        var decision = entry.State switch
        {
            ServerState.Failed or ServerState.Unchecked => Single(address, ServerState.Recovering, "successful health check", now),
            ServerState.Recovering when entry.Connections > 0 => Activate(address, "successful health check", now),
            ServerState.Recovering => Single(address, ServerState.Preferred, "successful health check", now),
            ServerState.Preferred when now - Max(entry.Since, entry.LastDial) > PreferredFor => Single(address, ServerState.Healthy, "successful health check", now),
            _ => LoadBalancerDecision.None,
        };
        return FailBackFromDefault(decision, entry.State);
    }

    /// <summary>
    /// A listed server that has passed its health checks (now PREFERRED, HEALTHY or ACTIVE) takes the clients back
    /// from the STANDBY default: the default's connections are closed, so their clients dial again and reach that
    /// server (k3s closes the default's connections once a healthy server exists). Without this, a long-lived
    /// connection (the kubelet's HTTP/2 one) that fell back to the default would stay there until it broke by itself.
    /// </summary>
    private LoadBalancerDecision FailBackFromDefault(LoadBalancerDecision decision, ServerState checkedServerState)
    {
        if (checkedServerState is not (ServerState.Preferred or ServerState.Healthy or ServerState.Active)
            || _default is null || !_servers.TryGetValue(_default, out var fallback)
            || fallback.State != ServerState.Standby || fallback.Connections == 0 || decision.CloseConnectionsTo.Contains(_default))
        {
            return decision;
        }

        return new LoadBalancerDecision([.. decision.CloseConnectionsTo, _default], decision.Transitions);
    }

    /// <summary>The host opened (+1) or closed (-1) a proxied connection to <paramref name="address"/>.</summary>
    public void ConnectionsChanged(string address, int delta)
    {
        if (_servers.TryGetValue(address, out var entry))
        {
            entry.Connections = Math.Max(0, entry.Connections + delta);
        }
    }

    private LoadBalancerDecision Activate(string address, string cause, DateTimeOffset now)
    {
        var transitions = new List<ServerTransition>();
        Move(address, ServerState.Active, cause, now, transitions);
        var close = _servers
            .Where(kv => kv.Key != address && kv.Value.State is ServerState.Failed or ServerState.Standby or ServerState.Recovering or ServerState.Healthy && kv.Value.Connections > 0)
            .Select(kv => kv.Key)
            .ToList();

        // Another server that was active gives way, so only one carries connections.
        foreach (var other in _servers.Where(kv => kv.Key != address && kv.Value.State == ServerState.Active).Select(kv => kv.Key).ToList())
        {
            Move(other, ServerState.Healthy, $"{address} becoming active", now, transitions);
            close.Add(other);
        }

        return new LoadBalancerDecision(close, transitions);
    }

    private LoadBalancerDecision Fail(string address, string cause, DateTimeOffset now)
    {
        var transitions = new List<ServerTransition>();
        Move(address, ServerState.Failed, cause, now, transitions);
        if (neverFailBack)
        {
            _failedForGood.Add(address);
        }

        return new LoadBalancerDecision([address], transitions);
    }

    private LoadBalancerDecision Single(string address, ServerState to, string cause, DateTimeOffset now)
    {
        var transitions = new List<ServerTransition>();
        Move(address, to, cause, now, transitions);
        return new LoadBalancerDecision([], transitions);
    }

    private void Move(string address, ServerState to, string cause, DateTimeOffset now, List<ServerTransition> transitions)
    {
        var entry = _servers[address];
        if (entry.State == to)
        {
            return;
        }

        transitions.Add(new ServerTransition(address, entry.State, to, cause));
        entry.State = to;
        entry.Since = now;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private sealed class Entry(ServerState state, DateTimeOffset since)
    {
        public ServerState State { get; set; } = state;

        public DateTimeOffset Since { get; set; } = since;

        public DateTimeOffset LastDial { get; set; } = DateTimeOffset.MinValue;

        public int Connections { get; set; }
    }
}
