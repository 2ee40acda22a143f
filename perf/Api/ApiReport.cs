using System.Globalization;
using System.Text;
using System.Text.Json;

namespace K3sLab.Perf.Api;

/// <summary>Writes an api run's figures and goal verdicts as api.md and api.json.</summary>
internal static class ApiReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>camelCase names throughout, and "&lt;=" left readable in the goal texts.</summary>
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes api.md, api.json and the plots; <paramref name="target"/> is one sentence on what was measured (a fresh server and its runtime, or a lab cluster).</summary>
    public static async Task WriteAsync(string directory, ApiSuiteOptions options, ApiFigures figures, string target, IReadOnlyList<Lab.Bench.ThresholdVerdict> thresholds, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var goals = ApiGoals.Evaluate(figures);
        var failures = ApiGoals.Failures(figures);
        var http = options.HttpVersion == System.Net.HttpVersion.Version20 ? "HTTP/2" : "HTTP/1.1";
        var md = new StringBuilder()
            .AppendLine("# API server benchmarks")
            .AppendLine()
            .AppendLine(Inv, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (load average {figures.LoadAtStart} at start, {figures.LoadAtEnd} at the end; other work on the host skews the figures) by `K3sLab.Perf api`.")
            .AppendLine(Inv, $"{target}. Clients authenticate with")
            .AppendLine(Inv, $"the admin client certificate and speak {http} over TLS (watches always HTTP/2) with JSON bodies, spread over {options.Connections} connections.")
            .AppendLine("The load generator is one .NET process on the same cores, so it competes with the server for CPU (its own CPU is the last column).")
            .AppendLine("Server CPU is in cores averaged over the phase.")
            .AppendLine()
            .AppendLine("## Goals (issues 5 and 11)")
            .AppendLine()
            .AppendLine("| goal | target | measured | verdict |")
            .AppendLine("|---|---|---|---|");
        foreach (var goal in goals)
        {
            md.AppendLine(Inv, $"| {goal.Name} | {goal.Target} | {goal.Figure} | {(goal.Passed ? "PASS" : "FAIL")} |");
        }

        md.AppendLine()
            .AppendLine(failures.Count == 0 ? "Correctness: every request acknowledged, every watcher saw every event once and in order." : "Correctness failures:");
        if (failures.Count > 0)
        {
            md.AppendLine();
        }

        foreach (var failure in failures)
        {
            md.AppendLine(Inv, $"- {failure}");
        }

        if (thresholds.Count > 0)
        {
            md.AppendLine()
                .AppendLine("## Thresholds (--threshold; any FAIL fails the run)")
                .AppendLine()
                .AppendLine("| threshold | phase | measured | verdict |")
                .AppendLine("|---|---|---|---|");
            foreach (var t in thresholds)
            {
                md.AppendLine(Inv, $"| `{t.Threshold}` | {t.Phase} | {t.Measured} | {(t.Passed ? "PASS" : "FAIL")} |");
            }
        }

        md.AppendLine()
            .AppendLine(Inv, $"## Requests: closed loops, small ConfigMaps (~200 bytes of data); creates {options.CreatesPerLevel:N0} per level, each level in a new namespace")
            .AppendLine()
            .AppendLine("The two baselines read nothing from the store: `/version` is public (TLS, HTTP/2, routing), `/api/v1` is authenticated")
            .AppendLine("(client certificate, RBAC, metrics); a GET of an object adds the store read and its JSON.")
            .AppendLine(Inv, $"GETs pick a random object among the last level's; LISTs read a namespace holding exactly {options.ListObjects:N0} ConfigMaps (and the cluster's kube-root-ca.crt where controllers run), whole (no limit) or in pages of {options.ListPageLimit} (timed per page).")
            .AppendLine(Inv, $"The mixed loads send {options.MixRequests:N0} requests each with {options.MixClients} clients, in kine's benchmark proportions: 20 % creates, 50 % GETs, 20 % unconditional")
            .AppendLine("updates (PUT without resourceVersion) and 10 % deletes, with ConfigMaps of 1 KiB or 50 KiB of data; GETs and updates hit 200 seeded objects, deletes take objects seeded for them.")
            .AppendLine()
            .AppendLine("| phase | clients | requests | errors | req/s | p50 | p99 | max | server CPU | server CPU per request | server RSS after | generator CPU |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in figures.Phases)
        {
            md.AppendLine(Inv, $"| {p.Phase} | {p.Clients} | {p.Succeeded:N0} | {(p.Errors == 0 ? "0" : $"{p.Errors} ({p.ErrorKinds})")} | {p.PerSecond:N0} | {p.Latency.Ms(50):0.00} ms | {p.Latency.Ms(99):0.00} ms | {p.Latency.MaxMs:0.0} ms | {p.ServerCpuSeconds / p.Seconds:0.00} cores | {p.CpuMsPerRequest:0.00} ms | {p.ServerRssMiB:0} MiB | {p.ClientCpuSeconds / p.Seconds:0.00} cores |");
        }

        if (figures.Ramp is { } ramp)
        {
            RampReport.Append(md, directory, ramp, options.RampInFlight);
        }

        md.AppendLine()
            .AppendLine(Inv, $"## Watch delivery: one writer creates ConfigMaps at a fixed rate for {options.WatchDuration.TotalSeconds:0} s in a namespace every watcher watches")
            .AppendLine()
            .AppendLine(Inv, $"The writer sends each create on schedule with up to {options.WatchWritesInFlight} in flight (an open model). \"Events/s\" counts deliveries to all watchers")
            .AppendLine("together, from the first create sent to the last event received; the generator parses every event, so on this host it competes with the server for the same cores.")
            .AppendLine("\"From send\" is receipt minus the moment the writer began sending that create (the create's own latency included);")
            .AppendLine("\"from ack\" is receipt minus the moment the writer had its 201 (0 when the event arrived first). The goal is judged from send.")
            .AppendLine("\"Create p99 from schedule\" times each create from the moment the open model meant to send it (coordinated-omission correction):")
            .AppendLine("it exceeds \"create p99\" when the writer was held back by its in-flight bound or the server stalled.")
            .AppendLine()
            .AppendLine("| watchers | writes/s asked | writes/s produced | events/s delivered | connections | delivered / expected | duplicates | out of order | p50 from send | p99 from send | max from send | p50 from ack | p99 from ack | create p99 | create p99 from schedule | server CPU | server RSS after | generator CPU |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var w in figures.Watches)
        {
            md.AppendLine(Inv, $"| {w.Watchers:N0} | {w.WritesPerSecondAsked} | {w.WritesPerSecond:0} | {w.EventsPerSecond:N0} | {w.Connections} | {w.Delivered:N0} / {w.Expected:N0} | {w.Duplicates} | {w.OutOfOrder} | {w.FromSend.Ms(50):0.00} ms | {w.FromSend.Ms(99):0.00} ms | {w.FromSend.MaxMs:0.0} ms | {w.FromAck.Ms(50):0.00} ms | {w.FromAck.Ms(99):0.00} ms | {w.WriteLatency.Ms(99):0.00} ms | {w.WriteFromSchedule.Ms(99):0.00} ms | {w.ServerCpuSeconds / w.Seconds:0.00} cores | {w.ServerRssMiB:0} MiB | {w.ClientCpuSeconds / w.Seconds:0.00} cores |");
        }

        md.AppendLine()
            .AppendLine(Inv, $"Server RSS at the end of the run: {figures.ServerFinalRssMiB:0} MiB.");
        Plots.PercentilePlot.Write(
            directory,
            "api-latency",
            "API request latency by phase",
            [.. figures.Creates.Select(c => ($"create, {c.Clients} client{(c.Clients == 1 ? string.Empty : "s")}", c.Latency)), .. new[] { figures.Get, figures.List }.OfType<PhaseRun>().Concat(figures.Mixes).Select(r => (r.Phase, r.Latency))]);
        Plots.PercentilePlot.Write(directory, "api-watch", "Watch delivery latency from send", figures.Watches.Select(w => ($"{w.Watchers:N0} watchers, {w.WritesPerSecondAsked} writes/s", w.FromSend)));
        var files = Load.LoadFiles.Write(directory, "api", Series(figures));
        md.AppendLine()
            .AppendLine("![API request latency percentiles](api-latency.svg)")
            .AppendLine()
            .AppendLine("![watch delivery latency percentiles](api-watch.svg)")
            .AppendLine()
            .AppendLine("p99 (solid) and p50 (dashed) per second of each phase, by completion time (watch phases: by receipt, from send):")
            .AppendLine()
            .AppendLine("![latency over the run](api-over-time.svg)")
            .AppendLine()
            .AppendLine("Per phase and per second as CSV, HdrHistogram percentile files (.hgrm, ms) and interval log (.hlog, µs): " + string.Join(", ", files.Where(f => !f.EndsWith(".svg", StringComparison.Ordinal) && !f.EndsWith(".hgrm", StringComparison.Ordinal)).Append("api-hgrm/").Select(f => $"`{f}`")) + ".");
        await File.WriteAllTextAsync(Path.Combine(directory, "api.md"), md.ToString(), ct);

        var json = JsonSerializer.Serialize(new
        {
            measuredUtc = DateTime.UtcNow,
            cores = Environment.ProcessorCount,
            loadAtStart = figures.LoadAtStart,
            loadAtEnd = figures.LoadAtEnd,
            http,
            options.Connections,
            serverStartSeconds = Math.Round(figures.ServerStartSeconds, 2),
            serverIdleRssMiB = Math.Round(figures.ServerIdleRssMiB, 1),
            serverFinalRssMiB = Math.Round(figures.ServerFinalRssMiB, 1),
            goals = goals.Select(g => new { g.Name, g.Target, g.Figure, g.Passed }),
            byPhase = ByPhase(figures),
            ramp = figures.Ramp is { } r ? RampReport.Json(r) : null,
            failures,
            thresholds = thresholds.Select(t => new { t.Threshold, t.Phase, t.Measured, t.Passed }),
            phases = figures.Phases.Select(p => new
            {
                p.Phase,
                p.Clients,
                p.Requested,
                p.Succeeded,
                p.Errors,
                p.FirstError,
                seconds = Math.Round(p.Seconds, 3),
                perSecond = Math.Round(p.PerSecond),
                p50Ms = p.Latency.Ms(50),
                p90Ms = p.Latency.Ms(90),
                p99Ms = p.Latency.Ms(99),
                p999Ms = p.Latency.Ms(99.9),
                maxMs = p.Latency.MaxMs,
                errorsByKind = p.ErrorKinds.Counts().ToDictionary(k => k.Kind, k => k.Count),
                serverCpuSeconds = p.ServerCpuSeconds,
                serverCpuMsPerRequest = Math.Round(p.CpuMsPerRequest, 3),
                serverRssMiB = Math.Round(p.ServerRssMiB, 1),
                generatorCpuSeconds = p.ClientCpuSeconds,
            }),
            watches = figures.Watches.Select(w => new
            {
                w.Watchers,
                w.WritesPerSecondAsked,
                writesPerSecond = Math.Round(w.WritesPerSecond, 1),
                eventsPerSecond = Math.Round(w.EventsPerSecond),
                w.Connections,
                w.Writes,
                w.Expected,
                w.Delivered,
                w.Duplicates,
                w.OutOfOrder,
                w.WriteErrors,
                w.FirstError,
                p50FromSendMs = w.FromSend.Ms(50),
                p99FromSendMs = w.FromSend.Ms(99),
                maxFromSendMs = w.FromSend.MaxMs,
                p50FromAckMs = w.FromAck.Ms(50),
                p99FromAckMs = w.FromAck.Ms(99),
                createP99Ms = w.WriteLatency.Ms(99),
                createP99FromScheduleMs = w.WriteFromSchedule.Ms(99),
                serverCpuSeconds = w.ServerCpuSeconds,
                serverRssMiB = Math.Round(w.ServerRssMiB, 1),
                generatorCpuSeconds = w.ClientCpuSeconds,
            }),
        }, JsonOptions);
        await File.WriteAllTextAsync(Path.Combine(directory, "api.json"), json + "\n", ct);
        Console.Write(md.ToString());
    }

    /// <summary>Every phase and watch level as the shared load files and thresholds see them; a watch level's latencies are its deliveries' from send.</summary>
    public static IReadOnlyList<Load.LoadSeries> Series(ApiFigures figures) =>
    [
        .. figures.Phases.Select(p => new Load.LoadSeries(p.Name, p.Latency, p.Timeline, p.Succeeded, p.Errors, p.PerSecond, p.ErrorKinds)),
        .. figures.Watches.Select(w => new Load.LoadSeries(w.Name, w.FromSend, w.Deliveries, w.Delivered, w.Expected - w.Delivered + w.WriteErrors, w.EventsPerSecond, WatchErrors(w))),
    ];

    private static Load.ErrorKinds WatchErrors(WatchFanoutRun w)
    {
        var kinds = new Load.ErrorKinds();
        if (w.Expected > w.Delivered)
        {
            kinds.Add("event not delivered", w.Expected - w.Delivered);
        }

        if (w.WriteErrors > 0)
        {
            kinds.Add("create failed", w.WriteErrors);
        }

        return kinds;
    }

    /// <summary>
    /// Each phase's rate and p99 under a stable name (<c>create x16</c>, <c>get x4</c>, <c>watch 1000 at 20 writes</c>), so a
    /// baseline's JSON pointer names the phase it gates whatever phases ran before it (a quick run has fewer).
    /// </summary>
    private static Dictionary<string, object> ByPhase(ApiFigures figures)
    {
        var phases = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var p in figures.Phases)
        {
            phases[p.Name] = new { perSecond = Math.Round(p.PerSecond), p50Ms = p.Latency.Ms(50), p99Ms = p.Latency.Ms(99) };
        }

        foreach (var w in figures.Watches)
        {
            phases[w.Name] = new { eventsPerSecond = Math.Round(w.EventsPerSecond), p50Ms = w.FromSend.Ms(50), p99Ms = w.FromSend.Ms(99) };
        }

        return phases;
    }
}
