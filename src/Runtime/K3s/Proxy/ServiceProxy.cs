using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Proxy;

/// <summary>
/// The node's service proxy, k3s's embedded kube-proxy in iptables mode: it mirrors Services and EndpointSlices
/// (as <c>system:kube-proxy</c>, through the same API address the kubelet uses) and programs the node's nat and
/// filter tables so cluster IPs and node ports reach the endpoints. Rules are written once both collections are
/// listed, then at most once a second after a change (kube-proxy's <c>--iptables-min-sync-period</c> 1 s) and every
/// 30 s regardless, which repairs rules someone else removed (<c>--iptables-sync-period</c> 30 s). A failed write is
/// logged and retried at the next sync. Rules are left in place on shutdown, as kube-proxy leaves them, so traffic
/// keeps flowing across a restart. A LoadBalancer Service with <c>externalTrafficPolicy: Local</c> is answered on its
/// <c>healthCheckNodePort</c> (<see cref="ServiceHealthServer"/>).
/// </summary>
internal sealed partial class ServiceProxy : IAsyncDisposable
{
    private static readonly TimeSpan MinSyncPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SyncPeriod = TimeSpan.FromSeconds(30);

    private readonly ResourceMirror _services;
    private readonly ResourceMirror _slices;
    private readonly Iptables _iptables;
    private readonly Conntrack _conntrack;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly string _nodeName;
    private readonly ServiceHealthServer _health;
    private string? _lastRules;

    /// <summary>The rules last written, to find the UDP flows a change leaves behind (null before the first write).</summary>
    private IReadOnlyList<ServicePortRule>? _written;

    /// <summary>The reject rules in place after the last write (null before it: read from the filter table then).</summary>
    private IReadOnlyCollection<string>? _rejecting;

    private ServiceProxy(ApiClient api, string nodeName, Iptables iptables, Conntrack conntrack, TimeProvider time, ILogger logger)
    {
        _nodeName = nodeName;
        _health = new ServiceHealthServer(logger);
        _iptables = iptables;
        _conntrack = conntrack;
        _time = time;
        _logger = logger;
        _services = new ResourceMirror(api, "/api/v1/services", Wake, time, e => Log.WatchFailed(logger, e));
        _slices = new ResourceMirror(api, "/apis/discovery.k8s.io/v1/endpointslices", Wake, time, e => Log.WatchFailed(logger, e));
        _run = Task.WhenAll(_services.RunAsync(_stop.Token), _slices.RunAsync(_stop.Token), SyncLoopAsync(_stop.Token));
    }

    /// <summary>
    /// Starts the proxy for the node <paramref name="nodeName"/> (whose endpoints a <c>Local</c> traffic policy keeps
    /// to), or returns null (with a warning saying why) on a node without iptables.
    /// </summary>
    public static ServiceProxy? Start(ApiClient api, string nodeName, TimeProvider time, ILogger logger, Iptables? iptables = null, Conntrack? conntrack = null)
    {
        iptables ??= new Iptables();
        conntrack ??= new Conntrack();
        if (iptables.Missing() is { } why)
        {
            Log.NoIptables(logger, why);
            return null;
        }

        Log.Starting(logger);
        if (!conntrack.Installed)
        {
            Log.NoConntrack(logger, conntrack.Path);
        }

        return new ServiceProxy(api, nodeName, iptables, conntrack, time, logger);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
        }

        await _health.DisposeAsync();
        _stop.Dispose();
        _wake.Dispose();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task SyncLoopAsync(CancellationToken ct)
    {
        var lastSync = long.MinValue;
        var lastFull = long.MinValue;
        while (!ct.IsCancellationRequested)
        {
            await _wake.WaitAsync(SyncPeriod, ct);
            if (!_services.Synced || !_slices.Synced)
            {
                continue;
            }

            if (lastSync != long.MinValue && _time.GetElapsedTime(lastSync) is var since && since < MinSyncPeriod)
            {
                await Task.Delay(MinSyncPeriod - since, _time, ct);
            }

            // Every 30 s the rules are written whatever changed, so a steady stream of changes cannot put off the
            // repair of rules someone else removed.
            var full = lastFull == long.MinValue || _time.GetElapsedTime(lastFull) >= SyncPeriod;
            lastSync = _time.GetTimestamp();
            if (await SyncAsync(force: full, ct) && full)
            {
                lastFull = lastSync;
            }
        }
    }

    /// <summary>
    /// After the rules changed, deletes the conntrack entries of UDP flows whose endpoint left its Service (see
    /// <see cref="StaleUdpFlows"/>): the rules decide only a flow's first packet.
    /// </summary>
    private async Task ClearStaleFlowsAsync(IReadOnlyList<ServicePortRule>? before, IReadOnlyList<ServicePortRule> after, CancellationToken ct)
    {
        if (before is null || !_conntrack.Installed)
        {
            return;
        }

        foreach (var flow in StaleUdpFlows.Find(before, after))
        {
            try
            {
                var deleted = await _conntrack.DeleteAsync(flow, ct);
                if (deleted > 0)
                {
                    Log.FlowsCleared(_logger, deleted, flow.ToString());
                }
            }
            catch (Exception e) when (e is IptablesException or IOException or System.ComponentModel.Win32Exception)
            {
                Log.FlowsNotCleared(_logger, flow.ToString(), e.Message);
            }
        }
    }

    /// <summary>Writes the rules unless <paramref name="force"/> is off and they are unchanged; false when the write failed.</summary>
    private async Task<bool> SyncAsync(bool force, CancellationToken ct)
    {
        var rules = ProxyModel.Build(_services.Snapshot(), _slices.Snapshot(), _nodeName);
        _health.Update(ServiceHealthServer.From(rules));
        var text = ProxyRules.Build(rules, []);
        if (!force && text == _lastRules)
        {
            // Most watch events change nothing the rules show: no process is run for them.
            return true;
        }

        try
        {
            var started = _time.GetTimestamp();
            var stale = ProxyRules.DeclaredChains(await _iptables.SaveAsync("nat", ct));
            var rejecting = _rejecting ?? ProxyRules.SavedRejectRules(await _iptables.SaveAsync("filter", ct));
            foreach (var write in ProxyRules.Writes(rules, rejecting, stale))
            {
                // Should this write fail, the next sync reads the rejects it left in place from the filter table.
                _rejecting = null;
                await _iptables.RestoreAsync(write, ct);
            }

            _rejecting = ProxyRules.RejectRules(rules);
            foreach (var (table, chain, rule) in ProxyRules.Jumps)
            {
                await _iptables.EnsureRuleAsync(table, chain, rule, ct);
            }

            _lastRules = text;
            Log.Synced(_logger, rules.Count, rules.Sum(r => r.Endpoints.Count), _time.GetElapsedTime(started).TotalMilliseconds);
            await ClearStaleFlowsAsync(_written, rules, ct);
            _written = rules;
            return true;
        }
        catch (Exception e) when (e is IptablesException or IOException or System.ComponentModel.Win32Exception)
        {
            _lastRules = null;
            Log.SyncFailed(_logger, e.Message);
            return false;
        }
    }
}
