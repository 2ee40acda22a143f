namespace K3sLab.K3s.Agent.LoadBalancer;

internal sealed partial class LoadBalancerHost
{
    /// <summary>
    /// One round of health checks: every server except the STANDBY default (whose state no check changes) is
    /// checked concurrently, each within the check timeout, and each result is reported as soon as it is in, so a
    /// hung server does not delay the failover a refused one has already earned. The periodic loop calls this every
    /// <see cref="LoadBalancerOptions.HealthCheckInterval"/>; tests may call it directly.
    /// </summary>
    public async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        string[] addresses;
        lock (_gate)
        {
            addresses = [.. _servers.States.Where(s => s.Value is not (ServerState.Standby or ServerState.Invalid)).Select(s => s.Key)];
        }

        var checks = new Task[addresses.Length];
        for (var i = 0; i < addresses.Length; i++)
        {
            checks[i] = CheckOneAsync(addresses[i], cancellationToken);
        }

        await Task.WhenAll(checks);
    }

    private async Task HealthLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HealthCheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await CheckHealthAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task CheckOneAsync(string address, CancellationToken cancellationToken)
    {
        bool healthy;
        using (var timeout = new CancellationTokenSource(_options.HealthCheckTimeout, _time))
        using (var check = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                // WaitAsync bounds a check that ignores its token.
                healthy = await _healthCheck(address, check.Token).WaitAsync(check.Token);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // A check that throws or runs out of time is a failed check.
                Log.HealthCheckError(_logger, address, e.GetType().Name, e.Message);
                healthy = false;
            }
        }

        if (!cancellationToken.IsCancellationRequested)
        {
            ReportHealth(address, healthy);
        }
    }
}
