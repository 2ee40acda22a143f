using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Scale;

/// <summary>
/// Pod churn on the hollow nodes: pods created at a fixed rate in one namespace (selecting hollow nodes), each
/// deleted a fixed time after its create; the create time of each is kept, on the caller's stopwatch, for the
/// start latency a watch measures. Create and delete request latencies go to HdrHistograms.
/// </summary>
internal sealed class PodChurn(Func<int, HttpClient> clients, string ns, Stopwatch clock)
{
    private readonly Lock _gate = new();

    public Dictionary<string, TimeSpan> Created { get; } = new(StringComparer.Ordinal);

    public Latencies Creates { get; } = new();

    public Latencies Deletes { get; } = new();

    public int Errors { get; private set; }

    public Task RunAsync(double podsPerSecond, TimeSpan lifetime, TimeSpan duration, CancellationToken ct) =>
        FixedRate.RunAsync(podsPerSecond, duration, async (i, due) =>
        {
            var name = $"churn-{i:D5}";
            lock (_gate)
            {
                Created[name] = clock.Elapsed;
            }

            if (!await TimeAsync(Creates, () => clients(i).PostAsJsonAsync($"/api/v1/namespaces/{ns}/pods", Pod(name), ct)))
            {
                return;
            }

            await Task.Delay(lifetime, ct);
            await TimeAsync(Deletes, () => clients(i + 1).DeleteAsync($"/api/v1/namespaces/{ns}/pods/{name}", ct));
        }, ct);

    private async Task<bool> TimeAsync(Latencies latencies, Func<Task<HttpResponseMessage>> request)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await request();
            await response.Content.ReadAsByteArrayAsync();
            lock (_gate)
            {
                if (response.IsSuccessStatusCode)
                {
                    latencies.RecordSince(start);
                    return true;
                }

                Errors++;
                return false;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            lock (_gate)
            {
                Errors++;
            }

            return false;
        }
    }

    private static JsonObject Pod(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = "churn" } },
        ["spec"] = new JsonObject
        {
            ["terminationGracePeriodSeconds"] = 1,
            ["nodeSelector"] = new JsonObject { ["k3slab.io/hollow"] = "true" },
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "pause",
                ["image"] = "pause",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" } },
            }),
        },
    };
}
