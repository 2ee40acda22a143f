using System.Globalization;
using System.Text;
using System.Text.Json;
using K3sLab.Perf.Api;

namespace K3sLab.Perf.Datastores;

/// <summary>Writes the datastore comparison as datastores.md (one table, ratios to SQLite) and datastores.json.</summary>
internal static class DatastoreComparisonReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    public static async Task WriteAsync(string directory, ApiSuiteOptions options, IReadOnlyList<DatastoreRun> runs, string loadAtStart, string k3s, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var reference = runs.FirstOrDefault(r => r.Word == "sqlite")?.Create?.PerSecond;
        var md = new StringBuilder()
            .AppendLine("# API figures per datastore")
            .AppendLine()
            .AppendLine(Inv, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (load average {loadAtStart} at the start) by `K3sLab.Perf datastores`; runtime `{k3s}`.")
            .AppendLine("Each datastore in turn under a fresh `k3s server --disable-agent` on loopback, with the api suite's phases and the same load:")
            .AppendLine(Inv, $"{options.CreatesPerLevel:N0} ConfigMap creates from {options.CreateClients[^1]} clients, {options.Gets:N0} GETs from {options.GetClients} clients, {options.Lists} LISTs of {options.ListObjects:N0} objects,")
            .AppendLine(Inv, $"and {options.WatchLevels[0].Watchers} watchers for {options.WatchDuration.TotalSeconds:0} s at {options.WatchLevels[0].WritesPerSecond} writes/s. The load generator shares the cores. The external datastores run on the same host, so their CPU competes too.")
            .AppendLine("The 3-server row drives the first of three servers on one host (its RSS only); the two joined servers replicate every write on the same 2 cores.")
            .AppendLine()
            .AppendLine("| datastore | create/s | create p99 | GET/s | GET p99 | LIST p99 | watch p99 (from ack) | server RSS at end | create/s vs SQLite |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            if (run.Figures is not { } figures)
            {
                md.AppendLine(Inv, $"| {run.Name} | {run.Error} | | | | | | | |");
                continue;
            }

            var create = run.Create;
            var ratio = reference is > 0 && create is not null ? (create.PerSecond / reference.Value).ToString("0.00", Inv) + "×" : string.Empty;
            md.AppendLine(Inv, $"| {run.Name} | {create?.PerSecond:0} | {create?.Latency.Ms(99):0.0} ms | {figures.Get?.PerSecond:0} | {figures.Get?.Latency.Ms(99):0.00} ms | {figures.List?.Latency.Ms(99):0.0} ms | {run.Watch?.FromAck.Ms(99):0.0} ms | {figures.ServerFinalRssMiB:0} MiB | {ratio} |");
        }

        var failures = runs.SelectMany(r => r.Failures.Select(f => $"{r.Word}: {f}")).ToList();
        md.AppendLine()
            .AppendLine(failures.Count == 0 ? "Correctness: on every datastore every request was acknowledged and every watcher saw every event once and in order." : "Correctness failures:");
        foreach (var failure in failures)
        {
            md.AppendLine(Inv, $"- {failure}");
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "datastores.md"), md.ToString(), ct);
        var json = runs.Select(r => new Dictionary<string, object?>
        {
            ["datastore"] = r.Word,
            ["name"] = r.Name,
            ["error"] = r.Error,
            ["createPerSecond"] = r.Create?.PerSecond,
            ["createP99Ms"] = r.Create?.Latency.Ms(99),
            ["getPerSecond"] = r.Figures?.Get?.PerSecond,
            ["getP99Ms"] = r.Figures?.Get?.Latency.Ms(99),
            ["listP99Ms"] = r.Figures?.List?.Latency.Ms(99),
            ["watchP99FromAckMs"] = r.Watch?.FromAck.Ms(99),
            ["watchP99FromSendMs"] = r.Watch?.FromSend.Ms(99),
            ["serverStartSeconds"] = r.Figures?.ServerStartSeconds,
            ["serverFinalRssMiB"] = r.Figures?.ServerFinalRssMiB,
            ["failures"] = r.Failures,
        }).ToList();
        await File.WriteAllTextAsync(Path.Combine(directory, "datastores.json"), JsonSerializer.Serialize(json, JsonOptions), ct);
    }
}
