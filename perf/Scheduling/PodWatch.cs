using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace K3sLab.Perf.Scheduling;

/// <summary>
/// Watches every pod from a resourceVersion and stamps, on one stopwatch, the first moment each pod is seen bound
/// to a node and the first moment it is seen Running. Runs until disposed.
/// </summary>
internal sealed class PodWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public PodWatch(HttpClient client, string resourceVersion, Stopwatch clock)
    {
        _loop = Task.Run(() => RunAsync(client, resourceVersion, clock, _stop.Token));
    }

    /// <summary>When each pod (by name) was first seen with a node.</summary>
    public ConcurrentDictionary<string, TimeSpan> Bound { get; } = new(StringComparer.Ordinal);

    /// <summary>Which node each pod was bound to.</summary>
    public ConcurrentDictionary<string, string> Nodes { get; } = new(StringComparer.Ordinal);

    /// <summary>When each pod was first seen Running.</summary>
    public ConcurrentDictionary<string, TimeSpan> Running { get; } = new(StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task RunAsync(HttpClient client, string resourceVersion, Stopwatch clock, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync($"/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion={resourceVersion}", HttpCompletionOption.ResponseHeadersRead, ct);
                response.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (JsonNode.Parse(line) is not JsonObject e || e["object"] is not JsonObject pod)
                    {
                        continue;
                    }

                    resourceVersion = pod["metadata"]?["resourceVersion"]?.GetValue<string>() ?? resourceVersion;
                    var name = pod["metadata"]?["name"]?.GetValue<string>();
                    if (name is null || e["type"]?.GetValue<string>() is "BOOKMARK" or "ERROR")
                    {
                        continue;
                    }

                    if (pod["spec"]?["nodeName"]?.GetValue<string>() is { Length: > 0 } node)
                    {
                        Bound.TryAdd(name, clock.Elapsed);
                        Nodes.TryAdd(name, node);
                    }

                    if (pod["status"]?["phase"]?.GetValue<string>() == "Running")
                    {
                        Running.TryAdd(name, clock.Elapsed);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException)
            {
                await Task.Delay(100, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
