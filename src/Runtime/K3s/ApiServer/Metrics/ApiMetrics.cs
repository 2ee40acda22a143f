using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using K3sLab.K3s.ApiServer.Http;

namespace K3sLab.K3s.ApiServer.Metrics;

/// <summary>
/// The API server's Prometheus metrics under kube-apiserver's names and labels, so dashboards and alerts written
/// for it work unchanged: <c>apiserver_request_total</c> and <c>apiserver_request_duration_seconds</c> (watches
/// excluded, as kube-apiserver excludes long-running requests), <c>apiserver_longrunning_requests</c> (open
/// watches), <c>apiserver_current_inflight_requests</c>, plus the standard <c>process_*</c> metrics and the managed
/// heap's (<c>dotnet_*</c>).
/// Written in the Prometheus text format 0.0.4.
/// </summary>
internal sealed class ApiMetrics
{
    /// <summary>kube-apiserver 1.33's buckets for apiserver_request_duration_seconds.</summary>
    private static readonly double[] Buckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Histogram> _durations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _longRunning = new(StringComparer.Ordinal);
    private long _readOnlyInFlight;
    private long _mutatingInFlight;

    /// <summary>
    /// Starts timing a request; dispose the result when the response is complete. <paramref name="info"/> is null
    /// for non-resource paths and for resources this server does not serve, whose names would make the label set
    /// unbounded (anyone can send any path).
    /// </summary>
    public Tracker Start(RequestInfo? info, string method, bool dryRun)
    {
        var verb = info is null ? (method.ToUpperInvariant() is var m && m is "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS" ? m : "other") : MetricVerb(info.Verb);
        var labels = info is null
            ? $"component=\"apiserver\",dry_run=\"\",group=\"\",resource=\"\",scope=\"\",subresource=\"\",verb=\"{verb}\",version=\"\""
            : $"component=\"apiserver\",dry_run=\"{(dryRun ? "All" : string.Empty)}\",group=\"{Escape(info.Group)}\",resource=\"{Escape(info.Resource)}\",scope=\"{Scope(info)}\",subresource=\"{Escape(info.Subresource)}\",verb=\"{verb}\",version=\"{Escape(info.Version)}\"";
        var mutating = verb is not ("GET" or "LIST" or "WATCH" or "HEAD" or "OPTIONS");
        Interlocked.Increment(ref mutating ? ref _mutatingInFlight : ref _readOnlyInFlight);
        if (verb == "WATCH")
        {
            _longRunning.AddOrUpdate(labels, 1, (_, n) => n + 1);
        }

        return new Tracker(this, labels, verb == "WATCH", mutating, Stopwatch.GetTimestamp());
    }

    public string Render()
    {
        var text = new StringBuilder();
        text.Append("# HELP apiserver_request_total Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.\n");
        text.Append("# TYPE apiserver_request_total counter\n");
        foreach (var (labels, count) in _requests.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"apiserver_request_total{{{labels}}} {count}\n");
        }

        text.Append("# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.\n");
        text.Append("# TYPE apiserver_request_duration_seconds histogram\n");
        foreach (var (labels, histogram) in _durations.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            histogram.Render(text, "apiserver_request_duration_seconds", labels);
        }

        text.Append("# HELP apiserver_longrunning_requests Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.\n");
        text.Append("# TYPE apiserver_longrunning_requests gauge\n");
        foreach (var (labels, count) in _longRunning.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"apiserver_longrunning_requests{{{labels}}} {count}\n");
        }

        text.Append("# HELP apiserver_current_inflight_requests Maximal number of currently used inflight request limit of this apiserver per request kind in last second.\n");
        text.Append("# TYPE apiserver_current_inflight_requests gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"apiserver_current_inflight_requests{{request_kind=\"mutating\"}} {Interlocked.Read(ref _mutatingInFlight)}\n");
        text.Append(CultureInfo.InvariantCulture, $"apiserver_current_inflight_requests{{request_kind=\"readOnly\"}} {Interlocked.Read(ref _readOnlyInFlight)}\n");
        ProcessMetrics(text);
        return text.ToString();
    }

    private static void ProcessMetrics(StringBuilder text)
    {
        using var process = Process.GetCurrentProcess();
        text.Append("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"process_cpu_seconds_total {process.TotalProcessorTime.TotalSeconds:0.###}\n");
        text.Append("# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"process_resident_memory_bytes {process.WorkingSet64}\n");
        text.Append("# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"process_start_time_seconds {new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds()}\n");
        GcMetrics(text);
    }

    /// <summary>
    /// The managed heap beside the resident size, under prometheus-net's names where it has them
    /// (<c>dotnet_total_memory_bytes</c>, <c>dotnet_collection_count_total</c>) and the GC's own figures after the last
    /// collection: what the heap holds, how much of it is free space between objects, and what it has committed. The
    /// resident size minus the committed heap is native memory (the SQLite page cache, TLS, stacks) and mapped files.
    /// </summary>
    private static void GcMetrics(StringBuilder text)
    {
        var info = GC.GetGCMemoryInfo();
        text.Append("# HELP dotnet_total_memory_bytes Total known allocated memory in the managed heap.\n# TYPE dotnet_total_memory_bytes gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"dotnet_total_memory_bytes {GC.GetTotalMemory(forceFullCollection: false)}\n");
        text.Append("# HELP dotnet_collection_count_total Garbage collections since the process started, by generation.\n# TYPE dotnet_collection_count_total counter\n");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            text.Append(CultureInfo.InvariantCulture, $"dotnet_collection_count_total{{generation=\"{generation}\"}} {GC.CollectionCount(generation)}\n");
        }

        text.Append("# HELP dotnet_gc_heap_size_bytes Managed heap size after the last collection, free space between objects included.\n# TYPE dotnet_gc_heap_size_bytes gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_heap_size_bytes {info.HeapSizeBytes}\n");
        text.Append("# HELP dotnet_gc_fragmented_bytes Free space between objects in the managed heap after the last collection.\n# TYPE dotnet_gc_fragmented_bytes gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_fragmented_bytes {info.FragmentedBytes}\n");
        text.Append("# HELP dotnet_gc_committed_bytes Memory the garbage collector has committed for the managed heap.\n# TYPE dotnet_gc_committed_bytes gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_committed_bytes {info.TotalCommittedBytes}\n");
    }

    private static string MetricVerb(string verb) => verb switch
    {
        "get" => "GET",
        "list" => "LIST",
        "watch" => "WATCH",
        "create" => "POST",
        "update" => "PUT",
        "patch" => "PATCH",
        "delete" => "DELETE",
        "deletecollection" => "DELETECOLLECTION",
        _ => verb.ToUpperInvariant(),
    };

    private static string Scope(RequestInfo info) =>
        info.Name.Length > 0 ? "resource" : info.Namespace.Length > 0 ? "namespace" : "cluster";

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>One request being measured.</summary>
    internal readonly struct Tracker(ApiMetrics metrics, string labels, bool longRunning, bool mutating, long started) : IDisposable
    {
        public void Complete(int statusCode)
        {
            metrics._requests.AddOrUpdate($"code=\"{statusCode}\",{labels}", 1, (_, n) => n + 1);
            if (!longRunning)
            {
                metrics._durations.GetOrAdd(labels, _ => new Histogram(Buckets)).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }

        public void Dispose()
        {
            Interlocked.Decrement(ref mutating ? ref metrics._mutatingInFlight : ref metrics._readOnlyInFlight);
            if (longRunning)
            {
                metrics._longRunning.AddOrUpdate(labels, 0, (_, n) => n - 1);
            }
        }
    }
}
