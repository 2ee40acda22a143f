using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Keeps one <see cref="PodWorker"/> per pod bound to this node: lists pods with
/// <c>fieldSelector=spec.nodeName=&lt;node&gt;</c>, then watches from the list's resourceVersion, resuming from the last
/// version seen when a watch ends and listing again when the server answers 410 Gone. A pod seen for the first time
/// gets a worker (unless it already finished); a pod marked for deletion is terminated with its
/// <c>deletionGracePeriodSeconds</c>; a pod gone from the API has its containers stopped. On shutdown the workers
/// are left to the process's exit: pods keep no state here that a restart would need.
/// </summary>
internal sealed partial class PodSync(ApiClient api, IContainerRuntime runtime, IProber prober, EventRecorder events, KubeletSettings settings, TimeProvider time, ILogger logger)
{
    private readonly Dictionary<string, PodWorker> _workers = new(StringComparer.Ordinal);

    // The workers by namespace and name, for the kubelet API's readers (the loop above owns _workers).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Namespace, string Name), PodWorker> _byName = new();
    private readonly string _selector = $"fieldSelector={Uri.EscapeDataString($"spec.nodeName={settings.NodeName}")}";

    public async Task RunAsync(CancellationToken ct)
    {
        string? version = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (version is null)
                {
                    var list = await api.GetAsync($"/api/v1/pods?{_selector}", ct) ?? [];
                    version = list["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "0";
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var pod in (list["items"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        seen.Add(Uid(pod));
                        Observe(pod);
                    }

                    foreach (var gone in _workers.Keys.Where(uid => !seen.Contains(uid)).ToList())
                    {
                        Forget(gone);
                    }
                }

                await foreach (var (type, obj) in api.WatchAsync($"/api/v1/pods?watch=true&allowWatchBookmarks=true&{_selector}&resourceVersion={version}&timeoutSeconds=300", ct))
                {
                    if (type == "ERROR")
                    {
                        if (obj["code"]?.GetValue<int>() == (int)HttpStatusCode.Gone)
                        {
                            version = null;
                        }

                        break;
                    }

                    version = obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? version;
                    if (type == "DELETED")
                    {
                        Forget(Uid(obj));
                    }
                    else if (type is "ADDED" or "MODIFIED")
                    {
                        Observe(obj);
                    }
                }
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Gone)
            {
                version = null;
            }
            catch (Exception e) when (e is HttpRequestException or ApiException or IOException or System.Text.Json.JsonException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                Log.WatchFailed(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
        }
    }

    /// <summary>The worker of the pod named <paramref name="name"/> in <paramref name="ns"/> on this node, if any. Thread-safe.</summary>
    public PodWorker? Find(string ns, string name) => _byName.TryGetValue((ns, name), out var worker) ? worker : null;

    /// <summary>Every container of this node's pods that runs now, for the resource metrics. Thread-safe.</summary>
    public IReadOnlyList<Stats.RunningContainer> RunningContainers() => [.. _byName.Values.SelectMany(w => w.RunningContainers())];

    private static string Uid(JsonObject pod) => pod["metadata"]?["uid"]?.GetValue<string>() ?? string.Empty;

    private void Observe(JsonObject pod)
    {
        var uid = Uid(pod);
        var deleting = pod["metadata"]?["deletionTimestamp"] is not null;
        if (!_workers.TryGetValue(uid, out var worker))
        {
            var phase = pod["status"]?["phase"]?.GetValue<string>();
            if (phase is "Succeeded" or "Failed" && !deleting)
            {
                return;
            }

            worker = new PodWorker(api, runtime, prober, events, settings, pod, time, logger);
            _workers[uid] = worker;
            _byName[(worker.Namespace, worker.Name)] = worker;
            worker.Start();
            _ = worker.Completion.ContinueWith(_ => Log.WorkerEnded(logger, worker.Namespace, worker.Name), TaskScheduler.Default);
        }

        if (deleting)
        {
            var grace = pod["metadata"]?["deletionGracePeriodSeconds"] is JsonValue g && long.TryParse(g.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) ? s : 0;
            worker.Terminate(TimeSpan.FromSeconds(Math.Max(0, grace)), deletePod: true);
        }
    }

    private void Forget(string uid)
    {
        if (_workers.Remove(uid, out var worker))
        {
            _byName.TryRemove(new KeyValuePair<(string, string), PodWorker>((worker.Namespace, worker.Name), worker));
            worker.Terminate(TimeSpan.FromSeconds(2), deletePod: false);
        }
    }
}
