using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Kubelets;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// The packaged metrics-server's collection loop, run inside the API server: every 15 s (k3s's
/// <c>--metric-resolution=15s</c>) it scrapes each Node's kubelet <c>/metrics/resource</c> (InternalIP, ExternalIP,
/// then Hostname, on the Node's kubelet port, through the agent's tunnel when it has one; at most 8 at a time, each
/// within 10 s) with the API server's kubelet client certificate, turns each node's last two scrapes into rates and
/// publishes the cycle to <see cref="MetricsStore"/>. A node that does not answer is left out of that cycle, and
/// logged once until it answers again.
/// </summary>
internal sealed partial class MetricsScraper : IAsyncDisposable
{
    public static readonly TimeSpan Resolution = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ScrapeTimeout = TimeSpan.FromSeconds(10);
    private static readonly ResourceKind Nodes = new(string.Empty, "nodes", false);

    private readonly ObjectStorage _storage;
    private readonly KubeletClient _kubelets;
    private readonly MetricsStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, UsageRates> _rates = new(StringComparer.Ordinal);
    private readonly HashSet<string> _failing = new(StringComparer.Ordinal);
    private Task _loop = Task.CompletedTask;

    private MetricsScraper(ObjectStorage storage, KubeletClient kubelets, MetricsStore store, TimeProvider time, ILogger logger)
    {
        _storage = storage;
        _kubelets = kubelets;
        _store = store;
        _time = time;
        _logger = logger;
    }

    public static MetricsScraper Start(ObjectStorage storage, KubeletClient kubelets, MetricsStore store, TimeProvider time, ILogger logger)
    {
        var scraper = new MetricsScraper(storage, kubelets, store, time, logger);
        scraper._loop = Task.Run(scraper.RunAsync);
        return scraper;
    }

    /// <summary>Stops the loop and waits for it; the cycle in flight is cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        using var timer = new PeriodicTimer(Resolution, _time);
        try
        {
            do
            {
                try
                {
                    await CycleAsync(ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    Log.CycleFailed(_logger, e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Stopping: whatever the cycle in flight hit (a cancelled request, the kubelet client already disposed) ends it.
        }
    }

    private async Task CycleAsync(CancellationToken ct)
    {
        var nodes = (await _storage.ListAsync(Nodes, string.Empty, 0, null, 0, ct)).Items;
        var results = new System.Collections.Concurrent.ConcurrentBag<(string Node, KubeletScrape? Scrape)>();
        await Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (node, token) =>
        {
            var name = node["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
            results.Add((name, await ScrapeAsync(name, node, token)));
        });

        var cycle = new List<NodePoints>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, scrape) in results)
        {
            seen.Add(node);
            if (scrape is null)
            {
                _rates.Remove(node);
                continue;
            }

            if (!_rates.TryGetValue(node, out var rates))
            {
                rates = _rates[node] = new UsageRates(node);
            }

            cycle.Add(rates.Next(scrape));
        }

        foreach (var gone in _rates.Keys.Where(n => !seen.Contains(n)).ToList())
        {
            _rates.Remove(gone);
        }

        _store.Publish(cycle);
    }

    private async Task<KubeletScrape?> ScrapeAsync(string name, JsonObject node, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ScrapeTimeout);
        string? failure;
        try
        {
            var url = new UriBuilder("https", ResourceHandler.KubeletHost(node, name), ResourceHandler.KubeletPort(node), "/metrics/resource").Uri;
            using var response = await _kubelets.GetAsync(name, url, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                var scrape = KubeletScrape.Parse(body);
                lock (_failing)
                {
                    _failing.Remove(name);
                }

                return scrape;
            }

            failure = $"{(int)response.StatusCode} {body.Trim()}";
        }
        catch (Exception e) when (e is HttpRequestException or IOException or FormatException or Errors.ApiStatusException
            || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            failure = e is OperationCanceledException ? $"no answer within {ScrapeTimeout.TotalSeconds:0} s" : e.Message;
        }

        bool first;
        lock (_failing)
        {
            first = _failing.Add(name);
        }

        if (first)
        {
            Log.ScrapeFailed(_logger, name, failure);
        }

        return null;
    }
}
