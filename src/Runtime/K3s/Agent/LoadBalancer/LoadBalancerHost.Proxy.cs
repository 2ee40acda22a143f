using System.Net.Sockets;

namespace K3sLab.K3s.Agent.LoadBalancer;

internal sealed partial class LoadBalancerHost
{
    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors and the like: back off a little rather than spin.
                Log.AcceptFailed(_logger, _options.ServiceName, e.SocketErrorCode);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            var handler = ServeAsync(client, cancellationToken);
            lock (_gate)
            {
                _handlers.Add(handler);
            }

            _ = handler.ContinueWith(Forget, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static void Forget(Task handler, object? state)
    {
        var host = (LoadBalancerHost)state!;
        lock (host._gate)
        {
            host._handlers.Remove(handler);
        }
    }

    /// <summary>Dials a server for one accepted client and pipes the two until either side ends.</summary>
    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        ProxiedConnection? connection;
        try
        {
            client.NoDelay = true;
            connection = await DialAsync(client, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client went away before the balancer could set it up.
            connection = null;
        }

        if (connection is null)
        {
            client.Dispose();
            return;
        }

        try
        {
            await connection.RunAsync();
        }
        finally
        {
            lock (_gate)
            {
                if (_connections.TryGetValue(connection.Address, out var open) && open.Remove(connection))
                {
                    _servers.ConnectionsChanged(connection.Address, -1);
                    if (open.Count == 0)
                    {
                        _connections.Remove(connection.Address);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Tries the servers in the list's dial order, each within the dial timeout, and reports every result. Returns
    /// the registered connection, or null when every server failed (the client is then closed and retries, as with
    /// k3s's <c>all servers failed</c>) or the host is stopping.
    /// </summary>
    private async Task<ProxiedConnection?> DialAsync(Socket client, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> order;
        lock (_gate)
        {
            order = _servers.DialOrder();
        }

        foreach (var address in order)
        {
            var server = await ConnectAsync(address, cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                server?.Dispose();
                return null;
            }

            if (server is null)
            {
                ReportDialFailure(address);
                continue;
            }

            var connection = new ProxiedConnection(client, server, address);
            LoadBalancerDecision decision;
            List<ProxiedConnection>? close;
            lock (_gate)
            {
                if (!_servers.Contains(address) || _stopping.IsCancellationRequested)
                {
                    // Removed from the list (or the host stopped) while the dial was in flight.
                    decision = LoadBalancerDecision.None;
                    close = null;
                    connection = null;
                }
                else
                {
                    if (!_connections.TryGetValue(address, out var open))
                    {
                        _connections[address] = open = [];
                    }

                    open.Add(connection);
                    _servers.ConnectionsChanged(address, +1);
                    decision = _servers.DialSucceeded(address, _time.GetUtcNow());
                    close = Collect(decision);
                }
            }

            if (connection is null)
            {
                server.Dispose();
                continue;
            }

            Enact(decision, close);
            return connection;
        }

        if (!cancellationToken.IsCancellationRequested)
        {
            Log.AllServersFailed(_logger, _options.ServiceName, string.Join(" ", order));
        }

        return null;
    }
}
