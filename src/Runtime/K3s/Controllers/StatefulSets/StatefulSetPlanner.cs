using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.StatefulSets;

/// <summary>
/// The statefulset controller's decisions (upstream's StatefulSetControl), pure. Pods are <c>{set}-{ordinal}</c>
/// for ordinals 0..replicas-1 with a stable hostname and subdomain; Failed pods are deleted to be recreated. With
/// <c>OrderedReady</c> a pod is created only once every lower one is Running and Ready, and surplus pods are deleted
/// highest ordinal first, one at a time; <c>Parallel</c> creates and deletes at once. A <c>RollingUpdate</c> deletes,
/// from the highest ordinal down to <c>partition</c>, one pod not at the update revision at a time once all are
/// Ready (the replacement gets the new template); pods below the partition are recreated from the current revision.
/// <c>OnDelete</c> only replaces deleted pods. Revisions are ControllerRevisions named <c>{set}-{hash}</c>, whose
/// name labels the pods (<c>controller-revision-hash</c>). Each of <c>volumeClaimTemplates</c> gives every pod a claim
/// <c>{template}-{pod}</c> (<see cref="Claims"/>), mounted as the pod's volume of the template's name.
/// </summary>
internal static class StatefulSetPlanner
{
    public const string ApiVersion = "apps/v1";
    public const string Kind = "StatefulSet";
    public const string PodNameLabel = "statefulset.kubernetes.io/pod-name";
    public const string PodIndexLabel = "apps.kubernetes.io/pod-index";

    public static StatefulSetPlan Plan(JsonObject set, IEnumerable<JsonObject> ownedPods, IEnumerable<JsonObject> revisions, DateTimeOffset now)
    {
        var name = ObjectKeys.Name(set);
        var spec = set.Obj("spec");
        var stored = set.Obj("status");
        var replicas = (int)(spec.Long("replicas") ?? 1);
        var parallel = spec.Str("podManagementPolicy") == "Parallel";
        var rolling = spec.Obj("updateStrategy").Str("type") != "OnDelete";
        var partition = rolling ? (int)(spec.Obj("updateStrategy").Obj("rollingUpdate").Long("partition") ?? 0) : 0;
        var minReady = (int)(spec.Long("minReadySeconds") ?? 0);
        var owned = Revisions.Owned(revisions, set);

        var hash = Revisions.Hash(spec.Obj("template"), stored.Long("collisionCount") ?? 0);
        var updateRevision = $"{name}-{hash}";
        var currentRevision = stored.Str("currentRevision") is { Length: > 0 } current && owned.Any(r => ObjectKeys.Name(r) == current) ? current : updateRevision;
        var max = owned.Count == 0 ? 0 : owned.Max(Revisions.Number);
        JsonObject? createRevision = null;
        (string, long)? renumber = null;
        if (owned.FirstOrDefault(r => ObjectKeys.Name(r) == updateRevision) is not { } existing)
        {
            createRevision = Revisions.New(set, ApiVersion, Kind, spec.Obj("template"), hash, max + 1);
        }
        else if (Revisions.Number(existing) < max && updateRevision != currentRevision)
        {
            renumber = (updateRevision, max + 1);
        }

        var byOrdinal = new SortedDictionary<int, JsonObject>();
        foreach (var pod in ownedPods)
        {
            if (Ordinal(name, ObjectKeys.Name(pod)) is { } ordinal)
            {
                byOrdinal[ordinal] = pod;
            }
        }

        var create = new List<JsonObject>();
        var delete = new List<string>();
        var blocked = false;
        for (var ordinal = 0; ordinal < replicas && !blocked; ordinal++)
        {
            if (!byOrdinal.TryGetValue(ordinal, out var pod))
            {
                var useCurrent = rolling && ordinal < partition && currentRevision != updateRevision;
                var template = useCurrent ? TemplateOf(owned, currentRevision) ?? spec.Obj("template") : spec.Obj("template");
                create.Add(NewPod(set, template, ordinal, useCurrent && TemplateOf(owned, currentRevision) is not null ? currentRevision : updateRevision));
                blocked = !parallel;
            }
            else if (PodState.Phase(pod) is "Failed" or "Succeeded" && !ObjectKeys.IsDeleting(pod))
            {
                delete.Add(ObjectKeys.Name(pod));
                blocked = !parallel;
            }
            else if (!parallel && (ObjectKeys.IsDeleting(pod) || !IsRunningAndReady(pod)))
            {
                blocked = true;
            }
        }

        var condemned = byOrdinal.Where(p => p.Key >= replicas).OrderByDescending(p => p.Key).Select(p => p.Value).ToList();
        if (!blocked && condemned.Count > 0)
        {
            if (parallel)
            {
                delete.AddRange(condemned.Where(p => !ObjectKeys.IsDeleting(p)).Select(ObjectKeys.Name));
            }
            else if (!ObjectKeys.IsDeleting(condemned[0]))
            {
                delete.Add(ObjectKeys.Name(condemned[0]));
            }

            blocked = true;
        }

        if (!blocked && rolling && create.Count == 0 && delete.Count == 0)
        {
            for (var ordinal = replicas - 1; ordinal >= partition; ordinal--)
            {
                if (!byOrdinal.TryGetValue(ordinal, out var pod))
                {
                    break;
                }

                if (RevisionOf(pod) != updateRevision)
                {
                    if (!ObjectKeys.IsDeleting(pod))
                    {
                        delete.Add(ObjectKeys.Name(pod));
                    }

                    break;
                }

                if (!IsRunningAndReady(pod))
                {
                    break;
                }
            }
        }

        var status = Status(set, byOrdinal.Values, replicas, currentRevision, updateRevision, rolling, minReady, now);
        var requeue = minReady > 0 && byOrdinal.Values.Any(p => PodState.IsReady(p) && !PodState.IsAvailable(p, minReady, now)) ? TimeSpan.FromSeconds(1) : (TimeSpan?)null;
        var inUse = byOrdinal.Values.Select(RevisionOf).Append(currentRevision).Append(updateRevision).ToHashSet(StringComparer.Ordinal);
        var limit = (int)(spec.Long("revisionHistoryLimit") ?? 10);
        var old = owned.Where(r => !inUse.Contains(ObjectKeys.Name(r))).ToList();
        return new StatefulSetPlan(createRevision, renumber, [.. old.Take(Math.Max(0, old.Count - limit)).Select(ObjectKeys.Name)], create, delete, status,
            !JsonNode.DeepEquals(stored ?? [], status), requeue);
    }

    /// <summary>The pod <c>{set}-{ordinal}</c> from <paramref name="template"/>, labelled with its name, index and revision.</summary>
    public static JsonObject NewPod(JsonObject set, JsonObject? template, int ordinal, string revision)
    {
        var podName = $"{ObjectKeys.Name(set)}-{ordinal.ToString(CultureInfo.InvariantCulture)}";
        var pod = PodTemplates.NewPod(set, ApiVersion, Kind, template, string.Empty, podName);
        var labels = pod.Obj("metadata")!.Obj("labels")!;
        labels[PodNameLabel] = podName;
        labels[PodIndexLabel] = ordinal.ToString(CultureInfo.InvariantCulture);
        labels[Revisions.HashLabel] = revision;
        var podSpec = pod.Obj("spec")!;
        podSpec["hostname"] = podName;
        if (set.Obj("spec").Str("serviceName") is { Length: > 0 } service)
        {
            podSpec["subdomain"] = service;
        }

        foreach (var claim in set.Obj("spec").Arr("volumeClaimTemplates").Items().Select(i => i.Item.Obj("metadata").Str("name")).OfType<string>())
        {
            if (podSpec["volumes"] is not JsonArray volumes)
            {
                podSpec["volumes"] = volumes = [];
            }

            // The claim replaces any volume of the template's name, as upstream's updateStorage does.
            var index = volumes.Select((v, i) => (v, i)).Where(x => x.v.Str("name") == claim).Select(x => x.i).DefaultIfEmpty(-1).First();
            var volume = new JsonObject { ["name"] = claim, ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = ClaimName(claim, podName) } };
            if (index >= 0)
            {
                volumes[index] = volume;
            }
            else
            {
                volumes.Add((JsonNode)volume);
            }
        }

        return pod;
    }

    /// <summary>The claim of template <paramref name="template"/> for pod <paramref name="podName"/>: <c>{template}-{pod}</c>.</summary>
    public static string ClaimName(string template, string podName) => $"{template}-{podName}";

    /// <summary>
    /// The claims pod <paramref name="podName"/> mounts, from the set's <c>volumeClaimTemplates</c> as upstream's
    /// <c>getPersistentVolumeClaims</c> makes them: the template's spec, its labels plus the set's
    /// <c>matchLabels</c>, and with <c>whenDeleted: Delete</c> the set as owner (so they go with it).
    /// </summary>
    public static IReadOnlyList<JsonObject> Claims(JsonObject set, string podName)
    {
        var claims = new List<JsonObject>();
        var spec = set.Obj("spec");
        foreach (var (_, template) in spec.Arr("volumeClaimTemplates").Items())
        {
            if (template.Obj("metadata").Str("name") is not { Length: > 0 } templateName)
            {
                continue;
            }

            var labels = template.Obj("metadata").Obj("labels")?.DeepClone().AsObject() ?? [];
            foreach (var (key, value) in spec.Obj("selector").Obj("matchLabels").Entries())
            {
                labels[key] = value;
            }

            var metadata = new JsonObject { ["name"] = ClaimName(templateName, podName), ["namespace"] = ObjectKeys.Namespace(set), ["labels"] = labels };
            if (template.Obj("metadata").Obj("annotations") is { Count: > 0 } annotations)
            {
                metadata["annotations"] = annotations.DeepClone();
            }

            if (spec.Obj("persistentVolumeClaimRetentionPolicy").Str("whenDeleted") == "Delete")
            {
                metadata["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = ApiVersion,
                    ["kind"] = Kind,
                    ["name"] = ObjectKeys.Name(set),
                    ["uid"] = ObjectKeys.Uid(set),
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                });
            }

            claims.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "PersistentVolumeClaim",
                ["metadata"] = metadata,
                ["spec"] = template.Obj("spec")?.DeepClone() ?? new JsonObject(),
            });
        }

        return claims;
    }

    /// <summary>The ordinal of <paramref name="podName"/> in set <paramref name="setName"/>, or null when it is not one of its names.</summary>
    public static int? Ordinal(string setName, string podName) =>
        podName.Length > setName.Length + 1 && podName.StartsWith(setName + "-", StringComparison.Ordinal)
            && int.TryParse(podName.AsSpan(setName.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal)
            && ordinal.ToString(CultureInfo.InvariantCulture) == podName[(setName.Length + 1)..]
            ? ordinal : null;

    private static bool IsRunningAndReady(JsonObject pod) => PodState.Phase(pod) == "Running" && PodState.IsReady(pod);

    private static string RevisionOf(JsonObject pod) => pod.Obj("metadata").Obj("labels").Str(Revisions.HashLabel) ?? string.Empty;

    private static JsonObject? TemplateOf(IReadOnlyList<JsonObject> revisions, string revision)
    {
        if (revisions.FirstOrDefault(r => ObjectKeys.Name(r) == revision).Obj("data").Obj("spec").Obj("template")?.DeepClone() is not JsonObject template)
        {
            return null;
        }

        template.Remove("$patch");
        return template;
    }

    private static JsonObject Status(JsonObject set, IEnumerable<JsonObject> pods, int replicas, string currentRevision, string updateRevision, bool rolling, int minReady, DateTimeOffset now)
    {
        var live = pods.Where(p => !ObjectKeys.IsDeleting(p) && PodState.IsActive(p)).ToList();
        var ready = live.Count(PodState.IsReady);
        var updated = live.Count(p => RevisionOf(p) == updateRevision);
        var current = live.Count(p => RevisionOf(p) == currentRevision);
        if (rolling && updated == replicas && ready == replicas && live.Count == replicas)
        {
            currentRevision = updateRevision;
            current = updated;
        }

        var status = new JsonObject
        {
            ["observedGeneration"] = ObjectKeys.Generation(set),
            ["replicas"] = live.Count,
            ["readyReplicas"] = ready,
            ["currentReplicas"] = current,
            ["updatedReplicas"] = updated,
            ["currentRevision"] = currentRevision,
            ["updateRevision"] = updateRevision,
            ["collisionCount"] = set.Obj("status").Long("collisionCount") ?? 0,
            ["availableReplicas"] = live.Count(p => PodState.IsAvailable(p, minReady, now)),
        };
        return status;
    }
}
