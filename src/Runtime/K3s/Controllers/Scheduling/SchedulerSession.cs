using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// One leadership term of the scheduler: the IO around <see cref="ClusterState"/>, <see cref="SchedulingQueue"/>
/// and <see cref="PodPlacement"/>. Cache handlers feed nodes and pods into the state and the queue (under one lock,
/// constant work per event); one loop takes a pod at a time, decides under the lock, assumes the pod onto its node
/// and binds in the background (up to <see cref="MaxWritesInFlight"/> writes at once), so the next decision already
/// counts it. A pod that fits nowhere gets <c>PodScheduled=False</c>/<c>Unschedulable</c> with the message and a
/// <c>FailedScheduling</c> event, and waits in the queue. When nothing is ready the loop sleeps until an event or
/// the queue's next timer: an idle scheduler costs nothing.
/// </summary>
internal sealed partial class SchedulerSession(ControllerContext context, ILogger logger)
{
    /// <summary>The scheduler name this scheduler answers to, and the component of its events.</summary>
    public const string DefaultScheduler = "default-scheduler";

    private const int MaxWritesInFlight = 16;
    private readonly object _gate = new();
    private readonly ClusterState _state = new();
    private readonly SchedulingQueue _queue = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _writes = new(MaxWritesInFlight, MaxWritesInFlight);
    private static readonly TimeSpan VolumeBindTimeout = TimeSpan.FromMinutes(10);
    private SharedCache? _pods;
    private SharedCache? _claims;
    private SharedCache? _volumes;
    private SharedCache? _classes;

    /// <summary>Whether <paramref name="pod"/> waits for this scheduler: no node, our scheduler name, not being deleted, not finished, no scheduling gates.</summary>
    public static bool IsPending(JsonObject pod)
    {
        var spec = pod.Obj("spec");
        return (spec.Str("nodeName") ?? string.Empty).Length == 0
            && (spec.Str("schedulerName") ?? DefaultScheduler) == DefaultScheduler
            && !ObjectKeys.IsDeleting(pod)
            && PodState.Phase(pod) is not ("Succeeded" or "Failed")
            && spec.Arr("schedulingGates") is not { Count: > 0 };
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var nodes = await context.Caches.GetAsync(ApiPaths.Nodes, ct);
        _pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        _claims = await context.Caches.GetAsync(ApiPaths.PersistentVolumeClaims, ct);
        _volumes = await context.Caches.GetAsync(ApiPaths.PersistentVolumes, ct);
        _classes = await context.Caches.GetAsync(ApiPaths.StorageClasses, ct);
        using var onNode = nodes.Subscribe(OnNode);
        using var onPod = _pods.Subscribe(OnPod);
        using var onClaim = _claims.Subscribe(OnStorage);
        using var onVolume = _volumes.Subscribe(OnStorage);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                string? key;
                TimeSpan? wake = null;
                lock (_gate)
                {
                    var now = context.Time.GetUtcNow();
                    key = _queue.Pop(now);
                    if (key is null)
                    {
                        wake = _queue.NextWake(now);
                    }
                }

                if (key is null)
                {
                    await WaitAsync(wake, ct);
                    continue;
                }

                await ScheduleOneAsync(key, ct);
            }
        }
        finally
        {
            // Let background writes finish (they observe the same token) before the caches are left.
            for (var i = 0; i < MaxWritesInFlight; i++)
            {
                await _writes.WaitAsync(CancellationToken.None);
            }
        }
    }

    private async Task ScheduleOneAsync(string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!_pods!.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var obj) || !IsPending(obj))
        {
            lock (_gate)
            {
                _queue.Remove(key);
            }

            return;
        }

        var pod = SchedulingPod.From(obj);
        var volumes = VolumeBinding.Of(pod, _claims!.Items, _volumes!.Items, _classes!.Items);
        Placement placement;
        lock (_gate)
        {
            placement = PodPlacement.Decide(pod, _state, volumes);
            if (placement.Node is { } chosen)
            {
                _state.Assume(pod, chosen);
            }
            else
            {
                _queue.Unschedulable(key, context.Time.GetUtcNow());
            }
        }

        await _writes.WaitAsync(ct);
        if (placement.Node is { } node)
        {
            _ = BindAsync(pod, node, volumes.WaitingClaims, ct);
        }
        else
        {
            Log.Unschedulable(logger, key, placement.Message);
            context.Events.Record(obj, "v1", "Pod", DefaultScheduler, "Warning", "FailedScheduling", placement.Message);
            _ = ReportAsync(pod, placement.Message, ct);
        }
    }

    private async Task BindAsync(SchedulingPod pod, string node, IReadOnlyList<string> waitingClaims, CancellationToken ct)
    {
        try
        {
            if (waitingClaims.Count > 0)
            {
                await BindVolumesAsync(node, waitingClaims, ct);
            }

            var binding = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Binding",
                ["metadata"] = new JsonObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace, ["uid"] = pod.Uid },
                ["target"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = node },
            };
            await context.Api.CreateAsync(ApiPaths.For(ApiPaths.Pods, pod.Namespace, pod.Name, "binding"), binding, ct);
            lock (_gate)
            {
                _queue.Done(pod.Key);
            }

            Log.Bound(logger, pod.Key, node);
            context.Events.Record(pod.Object, "v1", "Pod", DefaultScheduler, "Normal", "Scheduled", $"Successfully assigned {pod.Namespace}/{pod.Name} to {node}");
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException or System.Text.Json.JsonException or TimeoutException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            var gone = e is ApiException { Status: HttpStatusCode.NotFound or HttpStatusCode.Conflict } && waitingClaims.Count == 0;
            lock (_gate)
            {
                var now = context.Time.GetUtcNow();
                _state.Forget(pod.Key);
                if (gone)
                {
                    // Deleted, being deleted or bound by someone else: the cache will say which.
                    _queue.Remove(pod.Key);
                }
                else
                {
                    _queue.Failed(pod.Key, now);
                }

                _queue.MoveAll(now);
            }

            Log.BindFailed(logger, pod.Key, node, e.Message);
            Signal();
        }
        catch (OperationCanceledException)
        {
            // Leadership lost or shutting down: the next term starts from the caches.
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// VolumeBinding's PreBind: names the node on each claim that waits for its first consumer, then waits until the
    /// binder or the provisioner has bound them all (upstream's bind timeout, 10 minutes, else a
    /// <see cref="TimeoutException"/> and the pod is scheduled again).
    /// </summary>
    private async Task BindVolumesAsync(string node, IReadOnlyList<string> claims, CancellationToken ct)
    {
        foreach (var key in claims)
        {
            var (ns, name) = ObjectKeys.Split(key);
            if (_claims!.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var claim) && Storage.VolumeClaims.Annotation(claim, Storage.VolumeClaims.SelectedNode) == node)
            {
                continue;
            }

            var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Storage.VolumeClaims.SelectedNode] = node } } };
            await context.Api.MergePatchAsync(ApiPaths.For(ApiPaths.PersistentVolumeClaims, ns, name), patch, ct);
        }

        var deadline = context.Time.GetUtcNow() + VolumeBindTimeout;
        while (true)
        {
            var pending = 0;
            foreach (var key in claims)
            {
                var (ns, name) = ObjectKeys.Split(key);
                if (!_claims!.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var claim) || ObjectKeys.IsDeleting(claim))
                {
                    // Gone while the pod waited: schedule the pod again, where PreFilter will say so.
                    throw new TimeoutException($"binding volumes: persistentvolumeclaim \"{name}\" was deleted");
                }

                pending += Storage.VolumeClaims.VolumeName(claim).Length == 0 ? 1 : 0;
            }

            if (pending == 0)
            {
                return;
            }

            if (context.Time.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"binding volumes: timed out waiting for the condition (claims {string.Join(", ", claims)} on node {node})");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), context.Time, ct);
        }
    }

    /// <summary>A claim or volume changed: pods waiting on volumes may fit now.</summary>
    private void OnStorage(JsonObject? before, JsonObject? after)
    {
        lock (_gate)
        {
            _queue.MoveAll(context.Time.GetUtcNow());
        }

        Signal();
    }

    /// <summary>Sets <c>PodScheduled=False</c> (reason <c>Unschedulable</c>) with the message, unless the pod already says so.</summary>
    private async Task ReportAsync(SchedulingPod pod, string message, CancellationToken ct)
    {
        try
        {
            var current = PodState.Condition(pod.Object, "PodScheduled");
            if (current.Str("status") == "False" && current.Str("reason") == "Unschedulable" && current.Str("message") == message)
            {
                return;
            }

            var since = current.Str("status") == "False" && current.Str("lastTransitionTime") is { } kept ? kept : PodState.Stamp(context.Time.GetUtcNow());
            var patch = new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["conditions"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "PodScheduled",
                        ["status"] = "False",
                        ["reason"] = "Unschedulable",
                        ["message"] = message,
                        ["lastProbeTime"] = null,
                        ["lastTransitionTime"] = since,
                    }),
                },
            };
            await context.Api.StrategicMergePatchAsync(ApiPaths.For(ApiPaths.Pods, pod.Namespace, pod.Name, "status"), patch, ct);
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException or System.Text.Json.JsonException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Log.ReportFailed(logger, pod.Key, e.Message);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
        finally
        {
            _writes.Release();
        }
    }

    private void OnNode(JsonObject? before, JsonObject? after)
    {
        lock (_gate)
        {
            if (after is null)
            {
                _state.RemoveNode(ObjectKeys.Name(before!));
                return;
            }

            if (_state.SetNode(SchedulingNode.From(after)))
            {
                _queue.MoveAll(context.Time.GetUtcNow());
            }
        }

        Signal();
    }

    private void OnPod(JsonObject? before, JsonObject? after)
    {
        lock (_gate)
        {
            var now = context.Time.GetUtcNow();
            if (after is null)
            {
                var key = ObjectKeys.Of(before!);
                _queue.Remove(key);
                if (_state.RemovePod(key))
                {
                    _queue.MoveAll(now);
                }
            }
            else if (PodState.NodeName(after).Length > 0)
            {
                _queue.Remove(ObjectKeys.Of(after));
                if (_state.ObservePod(SchedulingPod.From(after)))
                {
                    _queue.MoveAll(now);
                }
            }
            else if (IsPending(after))
            {
                var key = ObjectKeys.Of(after);
                if (!_state.IsAssumed(key) && (!_queue.Contains(key) || SpecChanged(before, after)))
                {
                    _queue.Add(key, after.Obj("spec").Long("priority") ?? 0, now);
                }
            }
            else
            {
                _queue.Remove(ObjectKeys.Of(after));
            }
        }

        Signal();
    }

    /// <summary>Whether an update may change where the pod fits (not just its status, as our own condition patch does).</summary>
    private static bool SpecChanged(JsonObject? before, JsonObject after) =>
        before is null
        || !JsonNode.DeepEquals(before["spec"], after["spec"])
        || !JsonNode.DeepEquals(before.Obj("metadata")?["labels"], after.Obj("metadata")?["labels"]);

    private void Signal() => _wake.Writer.TryWrite(true);

    private async Task WaitAsync(TimeSpan? delay, CancellationToken ct)
    {
        if (_wake.Reader.TryRead(out _))
        {
            return;
        }

        using var timeout = delay is { } d ? new CancellationTokenSource(d, context.Time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await _wake.Reader.WaitToReadAsync(linked.Token);
            _wake.Reader.TryRead(out _);
        }
        catch (OperationCanceledException)
        {
            // The next timer came due, or the term ended (the loop checks).
        }
    }
}
