using System.Threading.Channels;
using K3sLab.K3s.Agent.LoadBalancer;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Agent;

/// <summary>
/// Keeps the agent load balancer's server list current, as k3s's agent does: it watches the <c>kubernetes</c>
/// Service's EndpointSlices in <c>default</c> and, on every change and every re-list, asks the supervisor's
/// <c>/v1-k3s/apiservers</c> for the list after a 3 s debounce (the API server drops and re-adds itself while it
/// starts, and a server's lease takes a while to lapse). Failures are logged and retried; nothing here stops the agent.
/// </summary>
internal sealed partial class ApiServerListWatch : IAsyncDisposable
{
    private const string Slices = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes";
    private static readonly TimeSpan Debounce = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    private readonly ApiClient _api;
    private readonly SupervisorClient _supervisor;
    private readonly LoadBalancerHost _balancer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private readonly Task _refresh;

    public ApiServerListWatch(ApiClient api, SupervisorClient supervisor, LoadBalancerHost balancer, TimeProvider time, ILogger logger)
    {
        (_api, _supervisor, _balancer, _time, _logger) = (api, supervisor, balancer, time, logger);
        _watch = Task.Run(() => WatchAsync(_stop.Token));
        _refresh = Task.Run(() => RefreshAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_watch, _refresh).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var list = await _api.GetAsync(Slices, ct) ?? [];
                var version = list["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "0";
                _changed.Writer.TryWrite(true);
                await foreach (var (type, _) in _api.WatchAsync($"{Slices}&watch=true&resourceVersion={version}&timeoutSeconds=300", ct))
                {
                    if (type == "ERROR")
                    {
                        break;
                    }

                    _changed.Writer.TryWrite(true);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException or OperationCanceledException or System.Text.Json.JsonException)
            {
                Log.WatchFailed(_logger, e.Message);
                await DelayAsync(RetryDelay, ct);
            }
        }
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        try
        {
            while (await _changed.Reader.WaitToReadAsync(ct))
            {
                await Task.Delay(Debounce, _time, ct);
                _changed.Reader.TryRead(out _);
                try
                {
                    _balancer.SetServers(await _supervisor.ApiServersAsync(ct));
                }
                catch (Exception e) when (e is ServerNotReadyException or Bootstrap.BootstrapException)
                {
                    Log.RefreshFailed(_logger, e.Message);
                    await Task.Delay(RetryDelay, _time, ct);
                    _changed.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Watching the kubernetes EndpointSlices for API server changes failed, retrying in 5 s: {Reason}")]
        public static partial void WatchFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Updating the load balancer's API server list failed, retrying in 5 s: {Reason}")]
        public static partial void RefreshFailed(ILogger logger, string reason);
    }
}
