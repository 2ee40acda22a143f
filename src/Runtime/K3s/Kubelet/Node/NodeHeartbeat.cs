using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Kubelet.Node;

/// <summary>
/// The IO around <see cref="HeartbeatSchedule"/> and <see cref="NodeDocument"/>: registers the Node (creating it,
/// or merging this kubelet's labels, annotations and missing taints into the existing one), then renews the Lease
/// and posts the status when the schedule says so, until cancelled. API errors are logged and retried; they never
/// end the loop. The Node's events (<c>Starting</c>, and <see cref="NodeStatusEvents"/> on condition changes) are
/// recorded as the kubelet records them: about a reference whose uid is the node's name, which is where
/// <c>kubectl describe node</c> looks.
/// </summary>
internal sealed partial class NodeHeartbeat(ApiClient api, EventRecorder events, KubeletSettings settings, TimeProvider time, ILogger logger)
{
    private readonly HeartbeatSchedule _schedule = new();
    private readonly string _nodePath = $"/api/v1/nodes/{settings.NodeName}";
    private JsonArray? _conditions;
    private JsonObject? _lease;
    private string? _nodeUid;

    /// <summary>Completes once the Node exists (registered by this kubelet or before).</summary>
    public TaskCompletionSource Registered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken ct)
    {
        await RegisterAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            if (_schedule.StatusCheckDue(now))
            {
                await TryAsync(() => PostStatusAsync(now, ct), "post the node status");
            }

            if (_schedule.LeaseDue(now))
            {
                await TryAsync(() => RenewLeaseAsync(now, ct), "renew the node lease");
            }

            await Task.Delay(_schedule.Wait(time.GetUtcNow()), time, ct);
        }
    }

    private async Task RegisterAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                var status = NodeDocument.Status(settings, Facts(), null, time.GetUtcNow());
                var node = await api.GetAsync(_nodePath, ct);
                var created = node is null;
                if (node is null)
                {
                    node = await api.CreateAsync("/api/v1/nodes", NodeDocument.New(settings, status), ct);
                    Log.Registered(logger, settings.NodeName);
                }
                else
                {
                    node = await api.MergePatchAsync(_nodePath, MergeExisting(node), ct);
                    Log.Reregistered(logger, settings.NodeName);
                }

                _nodeUid = node["metadata"]?["uid"]?.GetValue<string>();
                _conditions = node["status"]?["conditions"] as JsonArray;
                NodeEvent("Starting", "Starting kubelet.");
                if (created)
                {
                    // Created with its conditions, so they are new now; an existing Node's show at the first status post.
                    RecordChanges(null, _conditions);
                }

                Registered.TrySetResult();
                return;
            }
            catch (Exception e) when (e is HttpRequestException or ApiException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                Log.WriteFailed(logger, "register the node", e.Message);
                await Task.Delay(delay, time, ct);
                delay = delay * 2 > TimeSpan.FromSeconds(7) ? TimeSpan.FromSeconds(7) : delay * 2;
            }
        }
    }

    /// <summary>The patch that brings an existing Node up to this kubelet's labels and annotations and adds missing taints.</summary>
    private JsonObject MergeExisting(JsonObject node)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["labels"] = NodeDocument.Labels(settings), ["annotations"] = NodeDocument.Annotations(settings) },
        };
        var existing = node["spec"]?["taints"] as JsonArray ?? [];
        var missing = settings.Taints.Where(t => !existing.OfType<JsonObject>().Any(e => e["key"]?.GetValue<string>() == t.Key && e["effect"]?.GetValue<string>() == t.Effect)).ToList();
        if (missing.Count > 0)
        {
            var taints = (JsonArray)existing.DeepClone();
            foreach (var taint in NodeDocument.Taints(missing))
            {
                taints.Add(taint!.DeepClone());
            }

            patch["spec"] = new JsonObject { ["taints"] = taints };
        }

        return patch;
    }

    private async Task PostStatusAsync(DateTimeOffset now, CancellationToken ct)
    {
        _schedule.StatusChecked(now);
        var status = NodeDocument.Status(settings, Facts(), _conditions, now);
        var fingerprint = NodeDocument.Fingerprint(status);
        if (!_schedule.StatusPostDue(now, fingerprint))
        {
            // As upstream, the status is compared with the Node the API server holds too: the node lifecycle
            // controller may have marked the conditions Unknown while this kubelet was cut off or paused.
            var stored = (await api.GetAsync(_nodePath, ct))?["status"]?["conditions"] as JsonArray;
            if (ConditionStatuses(stored) == ConditionStatuses(status["conditions"] as JsonArray))
            {
                return;
            }

            _conditions = stored;
            status = NodeDocument.Status(settings, Facts(), _conditions, now);
            fingerprint = NodeDocument.Fingerprint(status);
        }

        var node = await api.MergePatchAsync(_nodePath + "/status", new JsonObject { ["status"] = status }, ct);
        RecordChanges(_conditions, status["conditions"] as JsonArray);
        _conditions = node["status"]?["conditions"] as JsonArray ?? _conditions;
        _schedule.StatusPosted(now, fingerprint);
    }

    private async Task RenewLeaseAsync(DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            _lease ??= await api.GetAsync(NodeLease.Path(settings.NodeName), ct);
            _lease = _lease is null
                ? await api.CreateAsync(NodeLease.CollectionPath, NodeLease.New(settings.NodeName, _nodeUid, now), ct)
                : await api.PutAsync(NodeLease.Path(settings.NodeName), NodeLease.Renewed(_lease, settings.NodeName, now), ct);
            _schedule.LeaseRenewed(now);
        }
        catch (ApiException e) when (e.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            // Someone else wrote it, or it was deleted: read it again on the retry.
            _lease = null;
            throw;
        }
    }

    private async Task TryAsync(Func<Task> write, string what)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e is HttpRequestException or ApiException or TaskCanceledException)
        {
            Log.WriteFailed(logger, what, e.Message);
            _schedule.Failed();
        }
    }

    private NodeFacts Facts() => settings.FixedFacts ?? NodeProbe.Read(settings.AgentDirectory);

    private static string ConditionStatuses(JsonArray? conditions) =>
        string.Join(',', (conditions ?? []).OfType<JsonObject>().Select(c => $"{c["type"]?.GetValue<string>()}={c["status"]?.GetValue<string>()}").Order(StringComparer.Ordinal));

    private void RecordChanges(JsonArray? previous, JsonArray? current)
    {
        foreach (var reason in NodeStatusEvents.Changed(previous, current))
        {
            NodeEvent(reason, NodeStatusEvents.Message(settings.NodeName, reason));
        }
    }

    /// <summary>An event about this Node, referenced as the kubelet does (uid = the node's name).</summary>
    private void NodeEvent(string reason, string message) =>
        events.Record(new JsonObject { ["metadata"] = new JsonObject { ["name"] = settings.NodeName, ["uid"] = settings.NodeName } }, "v1", "Node", "kubelet", "Normal", reason, message);
}
