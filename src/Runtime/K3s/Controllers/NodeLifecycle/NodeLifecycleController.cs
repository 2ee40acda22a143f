using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>
/// kube-controller-manager's node lifecycle controller with its taint eviction and the basics of pod garbage
/// collection, one node per reconcile. A node is looked at when it, its Lease in <c>kube-node-lease</c> or a pod bound
/// to it changes, and every <see cref="ControllerSettings.NodeMonitorPeriod"/>. Each pass, in upstream's order:
/// <list type="number">
/// <item>health (<see cref="NodeHealth"/>): silent for longer than the grace period → conditions Unknown through
/// <c>nodes/status</c> (<see cref="NodeConditionsUnknown"/>), a <c>NodeNotReady</c> event and the node's pods marked
/// not Ready (<see cref="PodsNotReady"/>);</item>
/// <item>taints (<see cref="NodeTaints"/>) written on the node object;</item>
/// <item>eviction (<see cref="TaintEviction"/>): pods not tolerating a NoExecute taint are deleted gracefully now,
/// the others when their <c>tolerationSeconds</c> run out (the node is queued again for then);</item>
/// <item>pod GC (<see cref="PodGarbage"/>): pods of a node that is gone, or terminating on an out-of-service node,
/// are force-deleted.</item>
/// </list>
/// Writes carry the cached resourceVersion, so a concurrent kubelet write makes the pass retry (409) on fresh data.
/// One worker: the per-node memory below is only touched by reconciles.
/// </summary>
internal sealed partial class NodeLifecycleController(ControllerSettings settings) : IController
{
    private const string LeaseNamespace = "kube-node-lease";
    private const string NodeComponent = "node-controller";
    private const string EvictionComponent = "taint-eviction-controller";

    public string Name => "nodelifecycle";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var nodes = await context.Caches.GetAsync(ApiPaths.Nodes, ct);
        var leases = await context.Caches.GetAsync(ApiPaths.Leases, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        var pass = new Pass(settings, context, queue, nodes, leases, pods, context.Loggers.CreateLogger("k3s.controllers.nodelifecycle"));
        using var onNode = nodes.Subscribe((before, after) => queue.Add(ObjectKeys.Name((after ?? before)!)));
        using var onLease = leases.Subscribe((before, after) =>
        {
            var lease = (after ?? before)!;
            if (ObjectKeys.Namespace(lease) == LeaseNamespace)
            {
                queue.Add(ObjectKeys.Name(lease));
            }
        });
        using var onPod = pods.Subscribe((_, after) =>
        {
            if (after is not null && PodState.NodeName(after) is { Length: > 0 } node)
            {
                queue.Add(node);
            }
        });
        using var monitor = context.Time.CreateTimer(_ => QueueAll(queue, nodes, pods), null, settings.NodeMonitorPeriod, settings.NodeMonitorPeriod);
        await ReconcileLoop.RunAsync(Name, queue, pass.ReconcileAsync, 1, pass.Logger, ct);
    }

    /// <summary>Every node, and every node a pod is bound to (so pods of deleted nodes are found).</summary>
    private static void QueueAll(WorkQueue queue, SharedCache nodes, SharedCache pods)
    {
        foreach (var node in nodes.Items.Values)
        {
            queue.Add(ObjectKeys.Name(node));
        }

        foreach (var pod in pods.Items.Values)
        {
            if (PodState.NodeName(pod) is { Length: > 0 } name && !nodes.Items.ContainsKey(ObjectKeys.CacheKey(string.Empty, name)))
            {
                queue.Add(name);
            }
        }
    }

    /// <summary>One leadership term's state and reconcile: what was observed of each node, and when NoExecute taints without <c>timeAdded</c> were first seen.</summary>
    private sealed class Pass(ControllerSettings settings, ControllerContext context, WorkQueue queue, SharedCache nodes, SharedCache leases, SharedCache pods, ILogger logger)
    {
        private readonly ConcurrentDictionary<string, NodeHealth> _health = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, DateTimeOffset> _taintSeen = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, bool> _podsToMark = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, DateTimeOffset> _missingSince = new(StringComparer.Ordinal);

        public ILogger Logger => logger;

        public async Task ReconcileAsync(string name, CancellationToken ct)
        {
            var now = context.Time.GetUtcNow();
            if (!nodes.Items.TryGetValue(ObjectKeys.CacheKey(string.Empty, name), out var node))
            {
                _health.TryRemove(name, out _);
                _podsToMark.TryRemove(name, out _);
                await CollectPodsOfMissingNodeAsync(name, now, ct);
                return;
            }

            _missingSince.TryRemove(name, out _);

            node = await MonitorHealthAsync(name, node, now, ct);
            if (NodeTaints.Reconcile(node, now) is { } taints)
            {
                var update = (JsonObject)node.DeepClone();
                update["spec"] ??= new JsonObject();
                update["spec"]!["taints"] = taints;
                node = await context.Api.PutAsync(ApiPaths.For(ApiPaths.Nodes, string.Empty, name), update, ct);
                Log.Tainted(logger, name, string.Join(", ", taints.OfType<JsonObject>().Select(t => $"{t.Str("key")}:{t.Str("effect")}")));
            }

            var boundHere = pods.Items.Values.Where(p => PodState.NodeName(p) == name).ToList();
            if (_podsToMark.ContainsKey(name))
            {
                await MarkPodsNotReadyAsync(boundHere, now, ct);
                _podsToMark.TryRemove(name, out _);
            }

            await EvictAsync(name, node, boundHere, now, ct);
            foreach (var pod in boundHere.Where(p => PodGarbage.StuckOnOutOfServiceNode(p, node)))
            {
                Log.ForceDeleting(logger, ObjectKeys.Of(pod), $"it is terminating on node {name}, which is out of service");
                await ForceDeleteAsync(pod, ct);
            }
        }

        /// <summary>Observes the node's health and, when it went silent, writes its conditions Unknown; returns the node as it now is.</summary>
        private async Task<JsonObject> MonitorHealthAsync(string name, JsonObject node, DateTimeOffset now, CancellationToken ct)
        {
            leases.Items.TryGetValue(ObjectKeys.CacheKey(LeaseNamespace, name), out var lease);
            var health = NodeHealth.Observe(_health.GetValueOrDefault(name), node, lease, now);
            _health[name] = health;
            if (!health.IsSilent(now, settings.NodeMonitorGracePeriod) || NodeConditionsUnknown.Apply(node, now) is not { } conditions)
            {
                return node;
            }

            var wasReady = PodState.Condition(node, "Ready").Str("status") == "True";
            var update = (JsonObject)node.DeepClone();
            update["status"] ??= new JsonObject();
            update["status"]!["conditions"] = conditions;
            var updated = await context.Api.PutAsync(ApiPaths.For(ApiPaths.Nodes, string.Empty, name, "status"), update, ct);
            Log.Unknown(logger, name, (now - health.ProbeTime).TotalSeconds);
            if (wasReady)
            {
                context.Events.Record(updated, "v1", "Node", NodeComponent, "Normal", "NodeNotReady", $"Node {name} status is now: NodeNotReady");
                _podsToMark[name] = true;
            }

            return updated;
        }

        private async Task MarkPodsNotReadyAsync(List<JsonObject> boundHere, DateTimeOffset now, CancellationToken ct)
        {
            foreach (var pod in boundHere)
            {
                if (PodsNotReady.Mark(pod, now) is { } marked)
                {
                    try
                    {
                        await context.Api.PutAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(pod), ObjectKeys.Name(pod), "status"), marked, ct);
                    }
                    catch (Kubelet.Client.ApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
                    {
                        // Deleted meanwhile.
                    }
                }
            }
        }

        /// <summary>Deletes the pods the node's NoExecute taints evict now, and queues the node again for the next deadline.</summary>
        private async Task EvictAsync(string name, JsonObject node, List<JsonObject> boundHere, DateTimeOffset now, CancellationToken ct)
        {
            var taints = NoExecuteTaints(name, node, now);
            if (taints.Count == 0)
            {
                return;
            }

            DateTimeOffset? next = null;
            foreach (var pod in boundHere.Where(p => !ObjectKeys.IsDeleting(p)))
            {
                if (TaintEviction.EvictAt(pod, taints) is not { } at)
                {
                    continue;
                }

                if (at > now)
                {
                    next = next is { } n && n < at ? n : at;
                    continue;
                }

                context.Events.Record(pod, "v1", "Pod", EvictionComponent, "Normal", "TaintManagerEviction", $"Marking for deletion Pod {ObjectKeys.Of(pod)}");
                Log.Evicting(logger, ObjectKeys.Of(pod), name);
                await context.Api.DeleteAsync(ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(pod), ObjectKeys.Name(pod)), new JsonObject { ["apiVersion"] = "v1", ["kind"] = "DeleteOptions" }, ct);
            }

            if (next is { } due)
            {
                queue.AddAfter(name, due - now);
            }
        }

        /// <summary>The node's NoExecute taints, each since its <c>timeAdded</c> or, lacking one, since this controller first saw it.</summary>
        private List<NoExecuteTaint> NoExecuteTaints(string name, JsonObject node, DateTimeOffset now)
        {
            var result = new List<NoExecuteTaint>();
            foreach (var taint in node.Obj("spec").Arr("taints")?.OfType<JsonObject>() ?? [])
            {
                if (taint.Str("effect") != "NoExecute")
                {
                    continue;
                }

                var key = taint.Str("key") ?? string.Empty;
                var since = PodState.Time(taint.Str("timeAdded")) ?? _taintSeen.GetOrAdd($"{name}|{key}", now);
                result.Add(new NoExecuteTaint(key, taint.Str("value") ?? string.Empty, since));
            }

            foreach (var seen in _taintSeen.Keys.Where(k => k.StartsWith(name + "|", StringComparison.Ordinal) && !result.Any(t => k == $"{name}|{t.Key}")))
            {
                _taintSeen.TryRemove(seen, out _);
            }

            return result;
        }

        /// <summary>
        /// Force-deletes the pods bound to <paramref name="name"/> once the Node has been missing for
        /// <see cref="PodGarbage.MissingNodeQuarantine"/> and the API server confirms it is gone (upstream's quarantine:
        /// a pod may be bound to a node that is still registering, and the cache may lag a creation).
        /// </summary>
        private async Task CollectPodsOfMissingNodeAsync(string name, DateTimeOffset now, CancellationToken ct)
        {
            var orphans = pods.Items.Values.Where(p => PodGarbage.OrphanedByMissingNode(p, name)).ToList();
            if (orphans.Count == 0)
            {
                _missingSince.TryRemove(name, out _);
                return;
            }

            var since = _missingSince.GetOrAdd(name, now);
            if (now - since < PodGarbage.MissingNodeQuarantine)
            {
                queue.AddAfter(name, since + PodGarbage.MissingNodeQuarantine - now);
                return;
            }

            if (await context.Api.GetAsync(ApiPaths.For(ApiPaths.Nodes, string.Empty, name), ct) is not null)
            {
                _missingSince.TryRemove(name, out _);
                return;
            }

            foreach (var pod in orphans)
            {
                Log.ForceDeleting(logger, ObjectKeys.Of(pod), $"its node {name} no longer exists");
                await ForceDeleteAsync(pod, ct);
            }
        }

        private Task ForceDeleteAsync(JsonObject pod, CancellationToken ct) =>
            context.Api.DeleteAsync(
                ApiPaths.For(ApiPaths.Pods, ObjectKeys.Namespace(pod), ObjectKeys.Name(pod)),
                new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "DeleteOptions",
                    ["gracePeriodSeconds"] = 0,
                    ["preconditions"] = new JsonObject { ["uid"] = ObjectKeys.Uid(pod) },
                },
                ct);
    }
}
