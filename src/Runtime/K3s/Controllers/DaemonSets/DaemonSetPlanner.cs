using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.DaemonSets;

/// <summary>
/// The daemonset controller's decisions (upstream's syncDaemonSet), pure: given the DaemonSet, the nodes, the pods
/// it controls, its ControllerRevisions and the time, one pod of the current template per eligible node
/// (<see cref="DaemonNodes"/>), pods removed from nodes that are gone or no longer eligible, failed pods replaced,
/// duplicates removed (oldest kept), then — once nothing else is to be done — a RollingUpdate step bounded by
/// maxUnavailable (or, with maxSurge, new pods started beside old ones that go once the new one is available);
/// OnDelete only replaces pods someone deleted. Pods are made bound to their node (see <see cref="NewPod"/>).
/// </summary>
internal static class DaemonSetPlanner
{
    public const string ApiVersion = "apps/v1";
    public const string Kind = "DaemonSet";
    public const string TemplateGenerationLabel = "pod-template-generation";

    public static DaemonSetPlan Plan(JsonObject daemonSet, IEnumerable<JsonObject> nodes, IEnumerable<JsonObject> ownedPods, IEnumerable<JsonObject> revisions, DateTimeOffset now)
    {
        var spec = daemonSet.Obj("spec");
        var template = spec.Obj("template");
        var hash = Revisions.Hash(template, daemonSet.Obj("status").Long("collisionCount") ?? 0);
        var pods = ownedPods.ToList();
        var (revisionToCreate, renumber, revisionsToDelete) = PlanRevisions(daemonSet, template, hash, Revisions.Owned(revisions, daemonSet), pods);

        var nodeList = nodes.OrderBy(ObjectKeys.Name, StringComparer.Ordinal).ToList();
        var nodeNames = nodeList.Select(ObjectKeys.Name).ToHashSet(StringComparer.Ordinal);
        var byNode = pods.GroupBy(PodState.NodeName).ToDictionary(g => g.Key, g => g.OrderBy(Created).ThenBy(ObjectKeys.Name, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        var rolling = spec.Obj("updateStrategy").Str("type") != "OnDelete";
        var minReady = (int)(spec.Long("minReadySeconds") ?? 0);
        var evaluations = nodeList.ToDictionary(ObjectKeys.Name, n => DaemonNodes.Evaluate(n, template), StringComparer.Ordinal);
        var desired = evaluations.Count(e => e.Value.ShouldRun);
        var (maxSurge, maxUnavailable) = rolling ? Limits(spec.Obj("updateStrategy").Obj("rollingUpdate"), desired) : (0, 0);

        var create = new List<string>();
        var delete = new List<string>();
        foreach (var (nodeName, nodePods) in byNode)
        {
            if (!nodeNames.Contains(nodeName))
            {
                // Unbound or on a node that no longer exists: such a pod can never be a daemon of any node.
                delete.AddRange(nodePods.Where(p => !ObjectKeys.IsDeleting(p)).Select(ObjectKeys.Name));
            }
        }

        foreach (var node in nodeList)
        {
            var name = ObjectKeys.Name(node);
            var (shouldRun, shouldContinue) = evaluations[name];
            var onNode = byNode.GetValueOrDefault(name) ?? [];
            var live = onNode.Where(p => !ObjectKeys.IsDeleting(p)).ToList();
            if (!shouldContinue)
            {
                delete.AddRange(live.Select(ObjectKeys.Name));
                continue;
            }

            var finished = live.Where(p => !PodState.IsActive(p)).ToList();
            delete.AddRange(finished.Select(ObjectKeys.Name));
            var running = live.Except(finished).ToList();
            if (running.Count == 0)
            {
                if (shouldRun)
                {
                    create.Add(name);
                }

                continue;
            }

            if (running.Count > 1)
            {
                delete.AddRange(Duplicates(running, hash, maxSurge > 0).Select(ObjectKeys.Name));
            }
        }

        TimeSpan? requeue = null;
        if (rolling && create.Count == 0 && delete.Count == 0)
        {
            var step = maxSurge > 0
                ? SurgeStep(nodeList, evaluations, byNode, hash, maxSurge, minReady, now)
                : UnavailableStep(nodeList, evaluations, byNode, hash, maxUnavailable, minReady, now);
            create.AddRange(step.Create);
            delete.AddRange(step.Delete);
        }

        if (minReady > 0)
        {
            requeue = pods.Where(p => PodState.IsReady(p) && !PodState.IsAvailable(p, minReady, now))
                .Select(p => PodState.Time(PodState.Condition(p, "Ready").Str("lastTransitionTime")))
                .OfType<DateTimeOffset>()
                .Select(t => t.AddSeconds(minReady) - now + TimeSpan.FromSeconds(1))
                .DefaultIfEmpty(TimeSpan.Zero)
                .Min() is var wait && wait > TimeSpan.Zero ? wait : null;
        }

        var status = Status(daemonSet, nodeList, evaluations, byNode, hash, minReady, now);
        return new DaemonSetPlan(hash, revisionToCreate, renumber, revisionsToDelete, create, [.. delete.Distinct(StringComparer.Ordinal)], status, StatusDiffers(daemonSet.Obj("status"), status), requeue);
    }

    /// <summary>
    /// The pod for <paramref name="nodeName"/>: the template with the revision hash and template generation labels,
    /// the automatic daemon tolerations, a required <c>matchFields metadata.name</c> node affinity (as upstream), and
    /// <c>spec.nodeName</c> set directly (the pre-1.12 way), so a daemon runs even where no scheduler does.
    /// </summary>
    public static JsonObject NewPod(JsonObject daemonSet, string nodeName, string hash)
    {
        var pod = PodTemplates.NewPod(daemonSet, ApiVersion, Kind, daemonSet.Obj("spec").Obj("template"), ObjectKeys.Name(daemonSet) + "-");
        var labels = pod.Obj("metadata")!.Obj("labels")!;
        labels[Revisions.HashLabel] = hash;
        labels[TemplateGenerationLabel] = ObjectKeys.Generation(daemonSet).ToString(CultureInfo.InvariantCulture);
        var podSpec = pod.Obj("spec")!;
        DaemonNodes.AddAutomaticTolerations(podSpec);
        DaemonNodes.RequireNode(podSpec, nodeName);
        podSpec["nodeName"] = nodeName;
        return pod;
    }

    private static (JsonObject? Create, (string, long)? Renumber, IReadOnlyList<string> Delete) PlanRevisions(JsonObject daemonSet, JsonObject? template, string hash, IReadOnlyList<JsonObject> owned, List<JsonObject> pods)
    {
        var currentName = $"{ObjectKeys.Name(daemonSet)}-{hash}";
        var max = owned.Count == 0 ? 0 : owned.Max(Revisions.Number);
        JsonObject? create = null;
        (string, long)? renumber = null;
        if (owned.FirstOrDefault(r => ObjectKeys.Name(r) == currentName) is not { } current)
        {
            create = Revisions.New(daemonSet, ApiVersion, Kind, template, hash, max + 1);
        }
        else if (Revisions.Number(current) < max)
        {
            renumber = (currentName, max + 1);
        }

        var limit = (int)(daemonSet.Obj("spec").Long("revisionHistoryLimit") ?? 10);
        var inUse = pods.Select(p => p.Obj("metadata").Obj("labels").Str(Revisions.HashLabel)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var old = owned.Where(r => ObjectKeys.Name(r) != currentName && !inUse.Contains(r.Obj("metadata").Obj("labels").Str(Revisions.HashLabel) ?? string.Empty)).ToList();
        return (create, renumber, [.. old.Take(Math.Max(0, old.Count - limit)).Select(ObjectKeys.Name)]);
    }

    private static (int Surge, int Unavailable) Limits(JsonObject? rolling, int desired)
    {
        var surge = Scaled(rolling?["maxSurge"], desired);
        var unavailable = Scaled(rolling?["maxUnavailable"] ?? JsonValue.Create(1), desired);
        return surge == 0 && unavailable == 0 ? (0, 1) : (surge, unavailable);
    }

    /// <summary>An int-or-percent of <paramref name="total"/>, percentages rounded up (GetScaledValueFromIntOrPercent).</summary>
    private static int Scaled(JsonNode? value, int total)
    {
        if (value is null)
        {
            return 0;
        }

        if (JsonFields.AsString(value) is { } text && text.EndsWith('%'))
        {
            return (int)Math.Ceiling(IntOrPercent.Value(value) * total / 100.0);
        }

        return (int)IntOrPercent.Value(value);
    }

    private static IEnumerable<JsonObject> Duplicates(List<JsonObject> running, string hash, bool surge)
    {
        // Oldest first: keep the oldest pod, or during a surge the oldest of each revision (old and new).
        var keep = new List<JsonObject>();
        if (surge)
        {
            keep.AddRange(running.Where(p => IsUpdated(p, hash)).Take(1));
            keep.AddRange(running.Where(p => !IsUpdated(p, hash)).Take(1));
        }
        else
        {
            keep.Add(running[0]);
        }

        return running.Where(p => !keep.Contains(p));
    }

    private static (List<string> Create, List<string> Delete) UnavailableStep(List<JsonObject> nodes, Dictionary<string, (bool ShouldRun, bool ShouldContinueRunning)> evaluations, Dictionary<string, List<JsonObject>> byNode, string hash, int maxUnavailable, int minReady, DateTimeOffset now)
    {
        var unavailable = 0;
        var replace = new List<string>();
        var candidates = new List<string>();
        foreach (var node in nodes.Where(n => evaluations[ObjectKeys.Name(n)].ShouldRun))
        {
            var (fresh, old, single) = Split(byNode.GetValueOrDefault(ObjectKeys.Name(node)), hash);
            if (!single || (old is null && (fresh is null || !PodState.IsAvailable(fresh, minReady, now))))
            {
                unavailable++;
            }
            else if (old is not null && fresh is null)
            {
                if (!PodState.IsAvailable(old, minReady, now))
                {
                    replace.Add(ObjectKeys.Name(old));
                }
                else if (unavailable < maxUnavailable)
                {
                    candidates.Add(ObjectKeys.Name(old));
                }
            }
        }

        var room = Math.Clamp(maxUnavailable - unavailable, 0, candidates.Count);
        return ([], [.. replace, .. candidates.Take(room)]);
    }

    private static (List<string> Create, List<string> Delete) SurgeStep(List<JsonObject> nodes, Dictionary<string, (bool ShouldRun, bool ShouldContinueRunning)> evaluations, Dictionary<string, List<JsonObject>> byNode, string hash, int maxSurge, int minReady, DateTimeOffset now)
    {
        var surging = 0;
        var create = new List<string>();
        var delete = new List<string>();
        var waiting = new List<string>();
        foreach (var node in nodes.Where(n => evaluations[ObjectKeys.Name(n)].ShouldRun))
        {
            var name = ObjectKeys.Name(node);
            var (fresh, old, single) = Split(byNode.GetValueOrDefault(name), hash);
            if (!single)
            {
                surging++;
            }
            else if (old is null)
            {
                continue;
            }
            else if (fresh is null)
            {
                if (!PodState.IsAvailable(old, minReady, now))
                {
                    create.Add(name);
                }
                else
                {
                    waiting.Add(name);
                }
            }
            else
            {
                surging++;
                if (PodState.IsAvailable(fresh, minReady, now))
                {
                    delete.Add(ObjectKeys.Name(old));
                }
            }
        }

        create.AddRange(waiting.Take(Math.Max(0, maxSurge - surging)));
        return (create, delete);
    }

    /// <summary>The node's live pod of the current revision and of an old one; not single when either has duplicates.</summary>
    private static (JsonObject? Fresh, JsonObject? Old, bool Single) Split(List<JsonObject>? pods, string hash)
    {
        var live = (pods ?? []).Where(p => !ObjectKeys.IsDeleting(p) && PodState.IsActive(p)).ToList();
        var fresh = live.Where(p => IsUpdated(p, hash)).ToList();
        var old = live.Where(p => !IsUpdated(p, hash)).ToList();
        return (fresh.FirstOrDefault(), old.FirstOrDefault(), fresh.Count <= 1 && old.Count <= 1);
    }

    private static bool IsUpdated(JsonObject pod, string hash) => pod.Obj("metadata").Obj("labels").Str(Revisions.HashLabel) == hash;

    private static JsonObject Status(JsonObject daemonSet, List<JsonObject> nodes, Dictionary<string, (bool ShouldRun, bool ShouldContinueRunning)> evaluations, Dictionary<string, List<JsonObject>> byNode, string hash, int minReady, DateTimeOffset now)
    {
        int desired = 0, current = 0, ready = 0, available = 0, updated = 0, misscheduled = 0;
        foreach (var node in nodes)
        {
            var name = ObjectKeys.Name(node);
            var live = (byNode.GetValueOrDefault(name) ?? []).Where(p => !ObjectKeys.IsDeleting(p)).ToList();
            if (evaluations[name].ShouldRun)
            {
                desired++;
                if (live.Count == 0)
                {
                    continue;
                }

                current++;
                var oldest = live[0];
                ready += PodState.IsReady(oldest) ? 1 : 0;
                available += PodState.IsAvailable(oldest, minReady, now) ? 1 : 0;
                updated += IsUpdated(oldest, hash) ? 1 : 0;
            }
            else if (live.Count > 0)
            {
                misscheduled++;
            }
        }

        var status = new JsonObject
        {
            ["currentNumberScheduled"] = current,
            ["numberMisscheduled"] = misscheduled,
            ["desiredNumberScheduled"] = desired,
            ["numberReady"] = ready,
            ["observedGeneration"] = ObjectKeys.Generation(daemonSet),
            ["updatedNumberScheduled"] = updated,
            ["numberAvailable"] = available,
        };
        if (desired - available > 0)
        {
            status["numberUnavailable"] = desired - available;
        }

        if (daemonSet.Obj("status").Long("collisionCount") is { } collisions)
        {
            status["collisionCount"] = collisions;
        }

        return status;
    }

    private static bool StatusDiffers(JsonObject? stored, JsonObject wanted) =>
        stored is null || wanted.Any(p => stored.Long(p.Key) != JsonFields.AsLong(p.Value)) || (stored.Has("numberUnavailable") && !wanted.Has("numberUnavailable"));

    private static DateTimeOffset Created(JsonObject pod) => PodState.Time(pod.Obj("metadata").Str("creationTimestamp")) ?? DateTimeOffset.MinValue;
}
