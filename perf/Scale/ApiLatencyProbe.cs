using System.Net.Http.Json;
using System.Text.Json.Nodes;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Scale;

/// <summary>
/// What a client sees of the API while the hollow nodes heartbeat (and pods churn): at a fixed rate each, a GET of
/// one hollow Node, a LIST of the pods of the churn namespace, and a ConfigMap create; latencies from each request's
/// due time, in an HdrHistogram per operation. A failed request counts as an error and is not recorded.
/// </summary>
internal sealed class ApiLatencyProbe(Func<int, HttpClient> clients, string nodePrefix, int nodes, string ns)
{
    private readonly Lock _gate = new();

    public Latencies GetNode { get; } = new();

    public Latencies ListPods { get; } = new();

    public Latencies CreateConfigMap { get; } = new();

    public int Errors { get; private set; }

    public Task RunAsync(double ratePerOperation, TimeSpan duration, string phase, CancellationToken ct) => Task.WhenAll(
        FixedRate.RunAsync(ratePerOperation, duration, (i, due) => TimeAsync(GetNode, due, () => clients(i).GetAsync($"/api/v1/nodes/{nodePrefix}{i % nodes}", ct)), ct),
        FixedRate.RunAsync(ratePerOperation, duration, (i, due) => TimeAsync(ListPods, due, () => clients(i + 1).GetAsync($"/api/v1/namespaces/{ns}/pods", ct)), ct),
        FixedRate.RunAsync(ratePerOperation, duration, (i, due) => TimeAsync(CreateConfigMap, due, () => clients(i + 2).PostAsJsonAsync($"/api/v1/namespaces/{ns}/configmaps", ConfigMap($"probe-{phase}-{i:D5}"), ct)), ct));

    private async Task TimeAsync(Latencies latencies, long due, Func<Task<HttpResponseMessage>> request)
    {
        try
        {
            using var response = await request();
            await response.Content.ReadAsByteArrayAsync();
            lock (_gate)
            {
                if (response.IsSuccessStatusCode)
                {
                    latencies.RecordSince(due);
                }
                else
                {
                    Errors++;
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            lock (_gate)
            {
                Errors++;
            }
        }
    }

    private static JsonObject ConfigMap(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["data"] = new JsonObject { ["probe"] = "1" },
    };
}
