using k8s;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Observers;

/// <summary>Lists the Nodes through the cluster's API every 2 s and records each one's Ready condition status.</summary>
public sealed class ReadinessObserver(Kubernetes api, ChaosNodes nodes, RunRecord record) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private bool _disposed;

    public void Start() => _loop = Task.Run(() => LoopAsync(_stop.Token));

    /// <summary>Every Node's Ready status by short name; null when the API did not answer.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> ReadAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            var list = await api.CoreV1.ListNodeAsync(cancellationToken: timeout.Token);
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var node in list.Items)
            {
                var name = nodes.FromNodeName(node.Metadata.Name) ?? node.Metadata.Name;
                var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status ?? "Unknown";
                result[name] = ready;
            }

            return result;
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await ReadAsync(cancellationToken) is { } now)
            {
                foreach (var (node, ready) in now)
                {
                    record.Ready(node, ready);
                    if (last.TryGetValue(node, out var before) && before != ready)
                    {
                        record.Event("ready", $"{node} Ready={ready}");
                    }

                    last[node] = ready;
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
