using System.Diagnostics;
using System.Globalization;
using K3sLab.Lab;
using K3sLab.Perf.Api;

namespace K3sLab.Perf.Datastores;

/// <summary>
/// Issue 12's comparison: the api suite's phases (creates, GETs, LISTs, a watch fan-out) with the same load against a
/// fresh <c>k3s server --disable-agent</c> on each datastore in turn, in one run on one host, so the ratios between
/// them hold even where the absolute figures move with the host. Writes <c>datastores.md</c> and <c>datastores.json</c>.
/// Exit 1 when a datastore could not be driven or lost a request or a watch event; speed is reported, not gated.
/// </summary>
internal static class DatastoreComparisonSuite
{
    /// <summary>One create level, GETs, LISTs and 100 watchers: about half a minute per datastore.</summary>
    public static ApiSuiteOptions Profile(bool quick) => quick
        ? new ApiSuiteOptions { CreateClients = [16], CreatesPerLevel = 500, GetClients = 4, Gets = 1_000, Lists = 10, WatchLevels = [new(100, 20)], WatchDuration = TimeSpan.FromSeconds(3), PhaseTimeout = TimeSpan.FromSeconds(20), MixSizesKiB = [] }
        : new ApiSuiteOptions { CreateClients = [16], CreatesPerLevel = 5_000, GetClients = 4, Gets = 10_000, Lists = 100, WatchLevels = [new(100, 20)], WatchDuration = TimeSpan.FromSeconds(10), PhaseTimeout = TimeSpan.FromSeconds(60), MixSizesKiB = [] };

    public static async Task<int> RunAsync(string outputDirectory, IReadOnlyList<string> datastores, bool quick, CancellationToken ct)
    {
        var k3s = LabPaths.RuntimeExecutable;
        if (!File.Exists(k3s))
        {
            await Console.Error.WriteLineAsync($"error: {k3s} does not exist: run ./k3slab build first.");
            return 1;
        }

        if (datastores.FirstOrDefault(d => !ComparedDatastore.All.Contains(d)) is { } unknown)
        {
            await Console.Error.WriteLineAsync($"error: unknown datastore '{unknown}': choose from {string.Join(", ", ComparedDatastore.All)}.");
            return 2;
        }

        var options = Profile(quick);
        var load = ApiFigures.LoadAverage();
        var clock = Stopwatch.StartNew();
        var runs = new List<DatastoreRun>();
        foreach (var word in datastores)
        {
            runs.Add(await RunOneAsync(k3s, word, options, ct));

            // Partial results survive a later datastore that fails or a cancelled run.
            await DatastoreComparisonReport.WriteAsync(outputDirectory, options, runs, load, k3s, ct);
        }

        var failures = runs.SelectMany(r => r.Failures.Select(f => $"{r.Word}: {f}")).ToList();
        foreach (var failure in failures)
        {
            await Console.Error.WriteLineAsync($"check failed: {failure}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"datastores: {runs.Count} compared, {failures.Count} correctness failures, {clock.Elapsed.TotalSeconds:0} s"));
        return failures.Count > 0 ? 1 : 0;
    }

    private static async Task<DatastoreRun> RunOneAsync(string k3s, string word, ApiSuiteOptions options, CancellationToken ct)
    {
        ComparedDatastore? datastore = null;
        ApiServerProcess? server = null;
        try
        {
            datastore = await ComparedDatastore.StartAsync(word, ct);
            ApiPhases.Progress($"{datastore.Name}: starting k3s server");
            var figures = new ApiFigures { LoadAtStart = ApiFigures.LoadAverage() };
            var start = Stopwatch.StartNew();
            server = await ApiServerProcess.StartAsync(k3s, kubelet: false, datastore.ServerArgs, ct, datastore.BindAddress);
            figures.ServerStartSeconds = start.Elapsed.TotalSeconds;
            await datastore.AfterServerStartAsync(k3s, server, ct);
            figures.ServerIdleRssMiB = server.RssMiB();
            await ApiPhases.MeasureAsync(server, options, figures, ct);
            figures.ServerFinalRssMiB = server.RssMiB();
            figures.LoadAtEnd = ApiFigures.LoadAverage();
            return new DatastoreRun(word, datastore.Name, figures, null);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            var detail = server is not null ? $"{e.Message}\nthe server's last lines:\n{Tail(server.Log())}" : e.Message;
            await Console.Error.WriteLineAsync($"error: {word}: {detail}");
            return new DatastoreRun(word, datastore?.Name ?? word, null, $"could not be driven: {e.Message}");
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            if (datastore is not null)
            {
                await datastore.DisposeAsync();
            }
        }
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(20));
}
