using System.Globalization;

namespace K3sLab.Perf.Api;

/// <summary>
/// The api suite's phases in order, on one server: closed-loop creates at each concurrency (a new namespace per
/// level), the two store-free GET baselines, GETs by name among the last level's objects, full and paged LISTs of a
/// namespace holding exactly the asked number of objects, and watch fan-out to each watcher count.
/// </summary>
internal static class ApiPhases
{

    private static string ListNamespace(IApiTarget server) => server.NamespacePrefix + "-list";

    /// <summary>
    /// Deletes every namespace a run on <paramref name="server"/> may have created (on a cluster that outlives the
    /// run); one that is missing is fine, any other answer is reported, not thrown.
    /// </summary>
    public static async Task DeleteNamespacesAsync(IApiTarget server, ApiSuiteOptions options, CancellationToken ct)
    {
        using var connections = new AdminConnections(server, 1, System.Net.HttpVersion.Version20, TimeSpan.FromSeconds(30));
        var names = options.CreateClients.Select(c => string.Create(CultureInfo.InvariantCulture, $"{server.NamespacePrefix}-create-c{c}"))
            .Append(ListNamespace(server))
            .Concat(MixedLoad.Namespaces(server, options))
            .Append(server.NamespacePrefix + "-ramp")
            .Concat(options.WatchLevels.Select(l => string.Create(CultureInfo.InvariantCulture, $"{server.NamespacePrefix}-watch-{l.Watchers}-at-{l.WritesPerSecond}")));
        foreach (var ns in names)
        {
            try
            {
                using var response = await connections[0].DeleteAsync($"/api/v1/namespaces/{ns}", ct);
                if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
                {
                    await Console.Error.WriteLineAsync($"warning: could not delete namespace {ns}: {(int)response.StatusCode}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Console.Error.WriteLineAsync($"warning: could not delete namespace {ns}: {e.Message}");
            }
        }
    }

    public static async Task MeasureAsync(IApiTarget server, ApiSuiteOptions options, ApiFigures figures, CancellationToken ct)
    {
        using var connections = new AdminConnections(server, options.Connections, options.HttpVersion, options.RequestTimeout);
        await WarmAsync(connections, ct);
        if (!options.WatchOnly)
        {
            await MeasureRequestsAsync(server, connections, options, figures, ct);
        }

        foreach (var level in options.WatchLevels)
        {
            var watch = await WatchFanout.RunAsync(server, connections, options, level, ct);
            figures.Watches.Add(watch);
            Progress($"watch: {watch.Watchers} watchers on {watch.Connections} connections, {watch.WritesPerSecondAsked} writes/s asked, {watch.WritesPerSecond:0} produced: {watch.Delivered}/{watch.Expected} delivered ({watch.EventsPerSecond:0} events/s), p50 {watch.FromSend.Ms(50):0.00} ms, p99 {watch.FromSend.Ms(99):0.00} ms from send ({watch.FromAck.Ms(99):0.00} ms from ack), server {watch.ServerCpuSeconds / watch.Seconds:0.00} cores, {watch.ServerRssMiB:0} MiB, generator {watch.ClientCpuSeconds / watch.Seconds:0.00} cores");
        }
    }

    /// <summary>The closed-loop phases: creates at each concurrency, the GET baselines, GETs by name, full and paged LISTs.</summary>
    private static async Task MeasureRequestsAsync(IApiTarget server, AdminConnections connections, ApiSuiteOptions options, ApiFigures figures, CancellationToken ct)
    {
        foreach (var clients in options.CreateClients)
        {
            var ns = string.Create(CultureInfo.InvariantCulture, $"{server.NamespacePrefix}-create-c{clients}");
            await RequireAsync(ApiRequests.CreateNamespaceAsync(connections[0], ns, ct), ns);
            var run = await ClosedLoop.RunAsync(server, connections, "create", clients, options.CreatesPerLevel, options.PhaseTimeout, (client, i, token) => ApiRequests.CreateAsync(client, ns, ConfigMaps.Name((int)i), token), ct);
            figures.Creates.Add(run);
            Progress(run);
        }

        foreach (var (phase, path) in new[] { ("get /version (public)", "/version"), ("get /api/v1 (authenticated, no store)", "/api/v1") })
        {
            var baseline = await ClosedLoop.RunAsync(server, connections, phase, options.GetClients, options.Gets, options.PhaseTimeout, (client, _, token) => ApiRequests.GetPathAsync(client, path, token), ct);
            figures.Baselines.Add(baseline);
            Progress(baseline);
        }

        if (options.CreateClients.Count > 0)
        {
            var ns = string.Create(CultureInfo.InvariantCulture, $"{server.NamespacePrefix}-create-c{options.CreateClients[^1]}");
            var random = new Random(5);
            figures.Get = await ClosedLoop.RunAsync(server, connections, "get", options.GetClients, options.Gets, options.PhaseTimeout, (client, _, token) =>
            {
                int pick;
                lock (random)
                {
                    pick = random.Next(options.CreatesPerLevel);
                }

                return ApiRequests.GetAsync(client, ns, ConfigMaps.Name(pick), token);
            }, ct);
            Progress(figures.Get);
        }

        foreach (var kib in options.MixSizesKiB)
        {
            var mix = await MixedLoad.RunAsync(server, connections, options, kib, ct);
            figures.Mixes.Add(mix);
            Progress(mix);
        }

        if (options.Ramp is { } ramp)
        {
            var ns = server.NamespacePrefix + "-ramp";
            await RequireAsync(ApiRequests.CreateNamespaceAsync(connections[0], ns, ct), ns);
            figures.Ramp = await OpenLoop.RunAsync(server, connections, $"create ramp {ramp}", ramp, options.RampInFlight, options.RequestTimeout, (client, i, token) => ApiRequests.CreateSizedAsync(client, ns, ConfigMaps.Name((int)i), 1024, token), ct);
            Progress(figures.Ramp.Run);
            if (figures.Ramp.FellBehind() is { } behind)
            {
                Progress(string.Create(CultureInfo.InvariantCulture, $"ramp: from second {behind.Second} on, {behind.Answered:0} answered of {behind.Asked:0} asked{(figures.Ramp.HeldBack > 0 ? $" ({figures.Ramp.HeldBack} requests held back by the generator's bound of {options.RampInFlight} in flight)" : string.Empty)}"));
            }
        }

        var listed = await SeedListAsync(server, connections, options, ct);
        figures.List = await ClosedLoop.RunAsync(server, connections, "list 1,000 (no limit)", 1, options.Lists, options.PhaseTimeout, (client, _, token) => ApiRequests.ListAsync(client, ListNamespace(server), listed, token), ct);
        Progress(figures.List);
        figures.ListPages = await ListPagesAsync(server, connections, options, listed, ct);
        Progress(figures.ListPages);
    }

    public static void Progress(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

    private static void Progress(PhaseRun run) =>
        Progress($"{run.Phase}: {run.Clients} clients: {run.PerSecond:0}/s, p50 {run.Latency.Ms(50):0.00} ms, p99 {run.Latency.Ms(99):0.00} ms, max {run.Latency.MaxMs:0.0} ms, errors {run.Errors}, server {run.ServerCpuSeconds / run.Seconds:0.00} cores ({run.CpuMsPerRequest:0.00} ms CPU per request), {run.ServerRssMiB:0} MiB, generator {run.ClientCpuSeconds / run.Seconds:0.00} cores");

    /// <summary>One authenticated request per connection, so TLS handshakes are not timed in the first phase.</summary>
    private static Task WarmAsync(AdminConnections connections, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, connections.Count).Select(async i =>
        {
            using var response = await connections[i].GetAsync("/api/v1", ct);
            response.EnsureSuccessStatusCode();
        }));

    /// <summary>
    /// The listed namespace with the objects asked for, created untimed by 16 clients. Returns how many objects a list
    /// of it must hold: those, plus what the cluster itself keeps in every namespace (on a server with controllers, the
    /// root CA publisher's <c>kube-root-ca.crt</c>, made as the namespace appears and long before the seeding ends).
    /// </summary>
    private static async Task<int> SeedListAsync(IApiTarget server, AdminConnections connections, ApiSuiteOptions options, CancellationToken ct)
    {
        await RequireAsync(ApiRequests.CreateNamespaceAsync(connections[0], ListNamespace(server), ct), ListNamespace(server));
        var seed = await ClosedLoop.RunAsync(server, connections, "seed", 16, options.ListObjects, options.PhaseTimeout, (client, i, token) => ApiRequests.CreateAsync(client, ListNamespace(server), ConfigMaps.Name((int)i), token), ct);
        if (seed.Errors > 0)
        {
            throw new InvalidOperationException($"could not create the {options.ListObjects} objects to list: {seed.FirstError}");
        }

        var (error, shape) = await ApiRequests.ListPageAsync(connections[0], ListNamespace(server), options.ListObjects * 2, null, ct);
        if (error is not null || shape.Items < options.ListObjects || shape.Continue is not null)
        {
            throw new InvalidOperationException($"the seeded namespace does not list its {options.ListObjects} objects: {error ?? $"{shape.Items} items"}");
        }

        return shape.Items;
    }

    /// <summary>
    /// Paged passes over the listed namespace, one page per timed request; every pass must add up to every object.
    /// One client, so each page follows the previous one's continue token.
    /// </summary>
    private static async Task<PhaseRun> ListPagesAsync(IApiTarget server, AdminConnections connections, ApiSuiteOptions options, int listed, CancellationToken ct)
    {
        var pagesPerPass = (listed + options.ListPageLimit - 1) / options.ListPageLimit;
        string? next = null;
        var seen = 0;
        return await ClosedLoop.RunAsync(server, connections, string.Create(CultureInfo.InvariantCulture, $"list 1,000 (limit={options.ListPageLimit}, per page)"), 1, (long)options.Lists * pagesPerPass, options.PhaseTimeout, async (client, _, token) =>
        {
            var (error, shape) = await ApiRequests.ListPageAsync(client, ListNamespace(server), options.ListPageLimit, next, token);
            if (error is not null)
            {
                next = null;
                seen = 0;
                return error;
            }

            seen += shape.Items;
            next = shape.Continue;
            if (next is not null)
            {
                return null;
            }

            var total = seen;
            seen = 0;
            return total == listed ? null : $"a paged pass returned {total} items, expected {listed}";
        }, ct);
    }

    public static async Task RequireAsync(Task<string?> request, string what)
    {
        if (await request is { } error)
        {
            throw new InvalidOperationException($"could not create {what}: {error}");
        }
    }
}
