using System.Net;
using System.Net.Sockets;

namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>
/// The agent load balancer's IO shell around <see cref="ServerList"/>: a loopback TCP proxy that sends every new
/// connection to the first server in the list's dial order that answers, a health-check loop, and the state file.
/// </summary>
/// <remarks>
/// <para>Thread-safety: every input to the <see cref="ServerList"/> (dial results, health results, connection counts,
/// list and default changes) and the table of open connections are serialized under one lock, and a decision's set of
/// connections to close is taken under that same lock, so a connection opened after the decision is never closed by
/// it. Connections are then aborted, and transitions logged, outside the lock.</para>
/// <para>Ordering: a connection is counted against its server before the dial success is reported, so a server that
/// becomes ACTIVE from that report already counts it. The state file is written after the change is applied, always
/// with the latest list, and only when its content changes.</para>
/// <para>Time comes from the injected <see cref="TimeProvider"/>: state-machine timestamps, dial and check timeouts
/// and the health-check period.</para>
/// </remarks>
internal sealed partial class LoadBalancerHost : IAsyncDisposable
{
    private readonly LoadBalancerOptions _options;
    private readonly ServerHealthCheck _healthCheck;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();

    // Guarded by _gate.
    private readonly Lock _gate = new();
    private readonly ServerList _servers = new(neverFailBack: PlantedBugs.NeverFailBack);
    private readonly Dictionary<string, HashSet<ProxiedConnection>> _connections = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _handlers = [];
    private string[] _addresses = [];

    private Task _acceptLoop = Task.CompletedTask;
    private Task _healthLoop = Task.CompletedTask;

    private LoadBalancerHost(LoadBalancerOptions options, ServerHealthCheck healthCheck, ILogger logger, TimeProvider time)
    {
        _options = options;
        _healthCheck = healthCheck;
        _logger = logger;
        _time = time;
        _listener = new Socket(options.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    }

    /// <summary>The endpoint the balancer accepts on (with the real port when <see cref="LoadBalancerOptions.Listen"/> asked for 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Every known server's state, the default included; for status output and tests.</summary>
    public IReadOnlyDictionary<string, ServerState> States
    {
        get
        {
            lock (_gate)
            {
                return _servers.States;
            }
        }
    }

    /// <summary>The order the next connection would try the servers in.</summary>
    public IReadOnlyList<string> DialOrder()
    {
        lock (_gate)
        {
            return _servers.DialOrder();
        }
    }

    /// <summary>How many proxied connections are open to <paramref name="address"/>.</summary>
    public int ConnectionsTo(string address)
    {
        lock (_gate)
        {
            return _connections.TryGetValue(address, out var open) ? open.Count : 0;
        }
    }

    /// <summary>
    /// Starts a balancer: takes the default from the options, loads the saved list (a missing, corrupt or stale file
    /// is logged once and ignored, so the balancer then starts from the default alone), binds the listener and starts
    /// accepting and health checking.
    /// </summary>
    /// <exception cref="ArgumentException">A timeout or the interval is not positive.</exception>
    /// <exception cref="SocketException">The listen endpoint is taken.</exception>
    public static LoadBalancerHost Start(LoadBalancerOptions options, ServerHealthCheck healthCheck, ILogger logger, TimeProvider? time = null)
    {
        if (options.DialTimeout <= TimeSpan.Zero || options.HealthCheckTimeout <= TimeSpan.Zero
            || (options.HealthCheckInterval <= TimeSpan.Zero && options.HealthCheckInterval != Timeout.InfiniteTimeSpan))
        {
            throw new ArgumentException($"load balancer {options.ServiceName}: the dial timeout, health-check timeout and health-check interval must be positive", nameof(options));
        }

        var host = new LoadBalancerHost(options, healthCheck, logger, time ?? TimeProvider.System);
        try
        {
            host.Restore();
            if (options.InitialServers.Count > 0)
            {
                host.SetServers(options.InitialServers);
            }

            host._listener.Bind(options.Listen);
            host._listener.Listen(512);
        }
        catch
        {
            host._listener.Dispose();
            host._stopping.Dispose();
            throw;
        }

        Log.Running(logger, options.ServiceName, host.LocalEndPoint, string.Join(" ", host._addresses), options.DefaultServer ?? "none");
        host._acceptLoop = host.AcceptLoopAsync(host._stopping.Token);
        if (options.HealthCheckInterval != Timeout.InfiniteTimeSpan)
        {
            host._healthLoop = host.HealthLoopAsync(host._stopping.Token);
        }

        return host;
    }

    /// <summary>Stops accepting, stops health checks, aborts every proxied connection and waits for them to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        await _healthLoop;

        List<ProxiedConnection> open;
        Task[] handlers;
        lock (_gate)
        {
            open = [.. _connections.Values.SelectMany(c => c)];
            handlers = [.. _handlers];
        }

        foreach (var connection in open)
        {
            connection.Abort();
        }

        await Task.WhenAll(handlers);
        _stopping.Dispose();
    }
}
