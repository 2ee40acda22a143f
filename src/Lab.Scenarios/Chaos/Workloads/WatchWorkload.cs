using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Scenarios.Checkers;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Workloads;

/// <summary>
/// Watchers of the workload namespace's ConfigMaps through the API, each resuming from the last resourceVersion it
/// saw whenever its stream breaks (a server dies, a partition cuts it), and re-listing after 410 Gone, as
/// client-go's reflector does. What each watcher receives is kept in arrival order for the six-guarantee check,
/// together with the namespace's whole history replayed by one watch at the end.
/// </summary>
public sealed class WatchWorkload : IAsyncDisposable
{
    private readonly ApiEndpoints _endpoints;
    private readonly RunRecord _record;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _watchers = [];
    private readonly ConcurrentDictionary<string, List<WatchStreamItem>> _streams = new(StringComparer.Ordinal);

    public WatchWorkload(ApiEndpoints endpoints, RunRecord record)
    {
        _endpoints = endpoints;
        _record = record;
    }

    /// <summary>The resourceVersion every watcher started after (0 before start).</summary>
    public long StartRevision { get; private set; }

    public bool Started => _watchers.Count > 0;

    /// <summary>Each watcher's received stream, by name (<c>w0@lb</c>).</summary>
    internal IReadOnlyDictionary<string, IReadOnlyList<WatchStreamItem>> Streams =>
        _streams.ToDictionary(p => p.Key, p => { lock (p.Value) { return (IReadOnlyList<WatchStreamItem>)[.. p.Value]; } }, StringComparer.Ordinal);

    public async Task StartAsync(int watchers, IReadOnlyList<string> via, CancellationToken cancellationToken)
    {
        var list = await _endpoints.For("lb").CoreV1.ListNamespacedConfigMapAsync(RegisterWorkload.Namespace, cancellationToken: cancellationToken);
        StartRevision = long.Parse(list.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
        for (var w = 0; w < watchers; w++)
        {
            var target = via[w % via.Count];
            var name = $"w{w}@{target}";
            var stream = _streams[name] = [];
            _watchers.Add(Task.Run(() => WatchLoopAsync(target, stream, _stop.Token), CancellationToken.None));
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_watchers);
    }

    /// <summary>
    /// The namespace's history since <see cref="StartRevision"/>: one watch from there through the load balancer, read
    /// until it has delivered the newest object of a fresh list. Null when the API does not give it within the time.
    /// </summary>
    internal async Task<IReadOnlyList<WatchEvent>?> HistoryAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        var api = _endpoints.For("lb");
        try
        {
            var list = await api.CoreV1.ListNamespacedConfigMapAsync(RegisterWorkload.Namespace, cancellationToken: deadline.Token);
            var newest = list.Items.Select(i => long.Parse(i.Metadata.ResourceVersion, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            var history = new List<WatchEvent>();
            if (newest <= StartRevision)
            {
                return history;
            }

            await foreach (var (type, item) in api.CoreV1.WatchListNamespacedConfigMapAsync(RegisterWorkload.Namespace, resourceVersion: StartRevision.ToString(CultureInfo.InvariantCulture), cancellationToken: deadline.Token))
            {
                if (Event(type, item) is { } e)
                {
                    history.Add(e);
                    if (e.Revision >= newest)
                    {
                        return history;
                    }
                }
            }

            return null;
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or KubernetesException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private static WatchEvent? Event(WatchEventType type, V1ConfigMap item)
    {
        var revision = long.Parse(item.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
        return type switch
        {
            WatchEventType.Added or WatchEventType.Modified => new WatchEvent(revision, item.Metadata.Name, (item.Data is { } data && data.TryGetValue("v", out var v) ? v : "")),
            WatchEventType.Deleted => new WatchEvent(revision, item.Metadata.Name, null),
            _ => null,
        };
    }

    private async Task WatchLoopAsync(string via, List<WatchStreamItem> stream, CancellationToken stop)
    {
        var api = _endpoints.For(via);
        var from = StartRevision;
        while (!stop.IsCancellationRequested)
        {
            lock (stream)
            {
                stream.Add(WatchStreamItem.Start(from + 1));
            }

            try
            {
                await foreach (var (type, item) in api.CoreV1.WatchListNamespacedConfigMapAsync(
                    RegisterWorkload.Namespace, allowWatchBookmarks: true, resourceVersion: from.ToString(CultureInfo.InvariantCulture), cancellationToken: stop))
                {
                    var revision = long.Parse(item.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
                    var received = type == WatchEventType.Bookmark ? WatchStreamItem.Progress(revision) : Event(type, item) is { } e ? WatchStreamItem.Response(e) : null;
                    if (received is not null)
                    {
                        lock (stream)
                        {
                            stream.Add(received);
                        }

                        from = Math.Max(from, revision);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stop.IsCancellationRequested && Gone(e))
            {
                // Too old to resume: list again and watch from the list's revision, as a reflector does.
                from = await RelistAsync(api, from, stop);
                _record.Event("note", $"watcher via {via} re-listed after 410 at r{from}");
            }
            catch (Exception e) when (!stop.IsCancellationRequested && e is HttpOperationException or HttpRequestException or KubernetesException or IOException or OperationCanceledException or System.Text.Json.JsonException)
            {
            }

            await Task.Delay(200, CancellationToken.None);
        }
    }

    private static bool Gone(Exception e) =>
        e is HttpOperationException { Response.StatusCode: HttpStatusCode.Gone } || (e is KubernetesException k && k.Status?.Code == 410);

    private static async Task<long> RelistAsync(Kubernetes api, long from, CancellationToken stop)
    {
        try
        {
            var list = await api.CoreV1.ListNamespacedConfigMapAsync(RegisterWorkload.Namespace, cancellationToken: stop);
            return long.Parse(list.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            return from;
        }
    }
}
