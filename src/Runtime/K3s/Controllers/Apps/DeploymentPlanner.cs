using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// The deployment controller's pure core (upstream's syncDeployment): from a Deployment, the ReplicaSets it controls
/// and their pods, decides one sync's writes as a <see cref="DeploymentPlan"/>. It works on copies of the
/// ReplicaSets as upstream works on its in-memory objects: a step that changes one (create the new set, scale it up,
/// scale old ones down) is seen by the later steps of the same sync. Deleting, paused and rescaled Deployments only
/// scale (proportionally, while rolling); otherwise the strategy rolls (<c>DeploymentPlanner.Rolling.cs</c>,
/// <c>DeploymentPlanner.Recreate.cs</c>) and the status and conditions follow (<c>DeploymentPlanner.Status.cs</c>).
/// </summary>
internal sealed partial class DeploymentPlanner
{
    private const string ApiVersion = "apps/v1";
    private readonly JsonObject _deployment;
    private readonly JsonObject _status;
    private readonly DateTimeOffset _now;
    private readonly IReadOnlyList<JsonObject> _pods;
    private readonly List<JsonObject> _sets;
    private readonly List<ReplicaSetWrite> _updates = [];
    private readonly List<JsonObject> _deletes = [];
    private readonly List<(string Type, string Reason, string Message)> _events = [];
    private ReplicaSetWrite? _create;
    private string? _revision;
    private TimeSpan? _requeueAfter;

    private DeploymentPlanner(DeploymentInputs inputs)
    {
        _deployment = inputs.Deployment;
        _status = (inputs.Deployment["status"] as JsonObject)?.DeepClone().AsObject() ?? [];
        _now = inputs.Now;
        _pods = inputs.Pods;
        _sets = [.. inputs.ReplicaSets.Select(s => s.DeepClone().AsObject())];
    }

    private long Replicas => DeploymentFacts.SpecReplicas(_deployment);

    private string Name => ObjectKeys.Name(_deployment);

    public static DeploymentPlan Plan(DeploymentInputs inputs)
    {
        var planner = new DeploymentPlanner(inputs);
        var status = planner.Sync();
        var changed = status is not null && !JsonNode.DeepEquals(JsonNode.Parse(status.ToJsonString()), inputs.Deployment["status"]);
        return new DeploymentPlan(planner._create, planner._updates, planner._deletes, planner._revision, changed ? status : null, planner._events, planner._requeueAfter);
    }

    /// <summary>Runs the sync; returns the status to have (null: leave it).</summary>
    private JsonObject? Sync()
    {
        var selector = _deployment.Obj("spec").Obj("selector");
        if (selector is null || (selector.Obj("matchLabels") is not { Count: > 0 } && selector.Arr("matchExpressions") is not { Count: > 0 }))
        {
            _events.Add(("Warning", "SelectorOverride", "This deployment is selecting all pods. A non-empty selector is required."));
            var observed = (JsonObject)_status.DeepClone();
            observed["observedGeneration"] = ObjectKeys.Generation(_deployment);
            return observed;
        }

        if (ObjectKeys.IsDeleting(_deployment))
        {
            return SyncStatusOnly();
        }

        CheckPausedConditions();
        if (DeploymentFacts.IsPaused(_deployment) || IsScalingEvent())
        {
            return ScaleOnly();
        }

        return DeploymentFacts.IsRecreate(_deployment) ? RolloutRecreate() : RolloutRolling();
    }

    private JsonObject SyncStatusOnly()
    {
        var (newSet, _) = FindNewAndOld(create: false);
        return CalculateStatus(newSet);
    }

    /// <summary>upstream's sync(): scale (proportionally while rolling), clean history when paused, status without progress checks.</summary>
    private JsonObject ScaleOnly()
    {
        var (newSet, old) = FindNewAndOld(create: false);
        Scale(newSet, old);
        if (DeploymentFacts.IsPaused(_deployment))
        {
            CleanupHistory(old);
        }

        return CalculateStatus(newSet);
    }

    /// <summary>A replica count of an active ReplicaSet that differs from the Deployment's: someone scaled the Deployment.</summary>
    private bool IsScalingEvent()
    {
        var (newSet, old) = FindNewAndOld(create: false, syncRevision: false);
        return old.Append(newSet).OfType<JsonObject>().Where(IsActive)
            .Any(s => DeploymentFacts.Annotation(s, DeploymentFacts.DesiredReplicasAnnotation) is { } desired && desired != Replicas);
    }

    private void CheckPausedConditions()
    {
        if (DeploymentFacts.ProgressDeadlineSeconds(_deployment) is null)
        {
            return;
        }

        var reason = StatusCondition(_status, "Progressing").Str("reason");
        if (DeploymentFacts.IsPaused(_deployment) && reason != "DeploymentPaused")
        {
            SetCondition(_status, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused");
        }
        else if (!DeploymentFacts.IsPaused(_deployment) && reason == "DeploymentPaused")
        {
            SetCondition(_status, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed");
        }
    }

    private static bool IsActive(JsonObject set) => DeploymentFacts.SpecReplicas(set) > 0;

    private static long Sum(IEnumerable<JsonObject?> sets, Func<JsonObject, long> count) => sets.OfType<JsonObject>().Sum(count);

    /// <summary>
    /// Finds the ReplicaSet whose template is the Deployment's (the oldest, if several) and the old ones; keeps the new
    /// one's revision the highest and the Deployment's revision annotation in step; creates the new one when asked and missing.
    /// </summary>
    private (JsonObject? New, List<JsonObject> Old) FindNewAndOld(bool create, bool syncRevision = true)
    {
        var template = _deployment.Obj("spec").Obj("template");
        var newSet = _sets.Where(s => DeploymentFacts.SameTemplate(s.Obj("spec").Obj("template"), template))
            .OrderBy(DeploymentFacts.Created).ThenBy(ObjectKeys.Name, StringComparer.Ordinal).FirstOrDefault();
        var old = _sets.Where(s => !ReferenceEquals(s, newSet)).ToList();
        if (!syncRevision)
        {
            return (newSet, old);
        }

        var newRevision = (old.Count == 0 ? 0 : old.Max(DeploymentFacts.Revision)) + 1;
        if (newSet is not null)
        {
            var changed = SetNewSetAnnotations(newSet, newRevision, exists: true);
            var minReady = _deployment.Obj("spec").Long("minReadySeconds") ?? 0;
            if ((newSet.Obj("spec").Long("minReadySeconds") ?? 0) != minReady)
            {
                newSet["spec"]!["minReadySeconds"] = minReady;
                changed = true;
            }

            if (changed)
            {
                Update(newSet, null);
            }

            SetRevision(newSet.Obj("metadata").Obj("annotations").Str(DeploymentFacts.RevisionAnnotation));
            if (StatusCondition(_status, "Progressing") is null && DeploymentFacts.ProgressDeadlineSeconds(_deployment) is not null)
            {
                SetCondition(_status, "Progressing", "True", "FoundNewReplicaSet", $"Found new replica set \"{ObjectKeys.Name(newSet)}\"");
            }

            return (newSet, old);
        }

        return create ? (CreateNewSet(old, newRevision), old) : (null, old);
    }

    private JsonObject CreateNewSet(List<JsonObject> old, long newRevision)
    {
        var spec = _deployment.Obj("spec")!;
        var hash = PodTemplateHash.Of(spec.Obj("template"), _status.Long("collisionCount"));
        var template = spec.Obj("template")?.DeepClone().AsObject() ?? [];
        var templateMeta = template["metadata"] as JsonObject ?? (JsonObject)(template["metadata"] = new JsonObject());
        var labels = templateMeta["labels"] as JsonObject ?? (JsonObject)(templateMeta["labels"] = new JsonObject());
        labels[PodTemplateHash.Label] = hash;
        var selector = spec.Obj("selector")?.DeepClone().AsObject() ?? [];
        var matchLabels = selector["matchLabels"] as JsonObject ?? (JsonObject)(selector["matchLabels"] = new JsonObject());
        matchLabels[PodTemplateHash.Label] = hash;
        var set = new JsonObject
        {
            ["apiVersion"] = ApiVersion,
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{Name}-{hash}",
                ["namespace"] = ObjectKeys.Namespace(_deployment),
                ["labels"] = labels.DeepClone(),
                ["ownerReferences"] = new JsonArray(ControllerRef.For(_deployment, ApiVersion, "Deployment")),
                ["creationTimestamp"] = PodState.Stamp(_now),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = 0,
                ["minReadySeconds"] = spec.Long("minReadySeconds") ?? 0,
                ["selector"] = selector,
                ["template"] = template,
            },
        };
        var replicas = NewSetReplicas([.. old, set], set);
        set["spec"]!["replicas"] = replicas;
        SetNewSetAnnotations(set, newRevision, exists: false);
        _sets.Add(set);

        var body = set.DeepClone().AsObject();
        body["metadata"]!.AsObject().Remove("creationTimestamp");
        _create = new ReplicaSetWrite(body, replicas > 0 ? $"Scaled up replica set {ObjectKeys.Name(set)} from 0 to {replicas}" : null);
        SetRevision(newRevision.ToString(CultureInfo.InvariantCulture));
        if (DeploymentFacts.ProgressDeadlineSeconds(_deployment) is not null)
        {
            SetCondition(_status, "Progressing", "True", "NewReplicaSetCreated", $"Created new replica set \"{ObjectKeys.Name(set)}\"");
        }

        return set;
    }

    /// <summary>Copies the Deployment's annotations, raises the revision when it is behind (keeping the old one in the history), and on a new set writes the replica annotations.</summary>
    private bool SetNewSetAnnotations(JsonObject set, long newRevision, bool exists)
    {
        var annotations = Annotations(set);
        var changed = false;
        foreach (var (key, value) in _deployment.Obj("metadata").Obj("annotations").Entries())
        {
            if (DeploymentFacts.CopiesAnnotation(key) && annotations.Str(key) != value)
            {
                annotations[key] = value;
                changed = true;
            }
        }

        var oldText = annotations.Str(DeploymentFacts.RevisionAnnotation);
        var oldRevision = DeploymentFacts.Revision(set);
        if (oldRevision < newRevision)
        {
            annotations[DeploymentFacts.RevisionAnnotation] = newRevision.ToString(CultureInfo.InvariantCulture);
            changed = true;
            if (!string.IsNullOrEmpty(oldText))
            {
                var history = annotations.Str(DeploymentFacts.RevisionHistoryAnnotation);
                annotations[DeploymentFacts.RevisionHistoryAnnotation] = string.IsNullOrEmpty(history) ? oldText : $"{history},{oldText}";
            }
        }

        return (!exists && SetReplicasAnnotations(set)) || changed;
    }

    /// <summary>Writes desired-replicas and max-replicas; returns whether either changed.</summary>
    private bool SetReplicasAnnotations(JsonObject set)
    {
        var annotations = Annotations(set);
        var desired = Replicas.ToString(CultureInfo.InvariantCulture);
        var max = (Replicas + DeploymentFacts.MaxSurge(_deployment)).ToString(CultureInfo.InvariantCulture);
        var changed = annotations.Str(DeploymentFacts.DesiredReplicasAnnotation) != desired || annotations.Str(DeploymentFacts.MaxReplicasAnnotation) != max;
        annotations[DeploymentFacts.DesiredReplicasAnnotation] = desired;
        annotations[DeploymentFacts.MaxReplicasAnnotation] = max;
        return changed;
    }

    private static JsonObject Annotations(JsonObject set)
    {
        var metadata = set["metadata"] as JsonObject ?? (JsonObject)(set["metadata"] = new JsonObject());
        return metadata["annotations"] as JsonObject ?? (JsonObject)(metadata["annotations"] = new JsonObject());
    }

    private void SetRevision(string? revision)
    {
        if (revision is not null && _deployment.Obj("metadata").Obj("annotations").Str(DeploymentFacts.RevisionAnnotation) != revision)
        {
            _revision = revision;
        }
    }

    /// <summary>Records a changed ReplicaSet (once; a later change of the same set replaces the earlier write, keeping its event if it has none).</summary>
    private void Update(JsonObject set, string? message)
    {
        if (_create is not null && ReferenceEquals(set, _sets[^1]) && ObjectKeys.Name(set) == ObjectKeys.Name(_create.ReplicaSet))
        {
            // Still to be created: change the creation instead.
            var body = set.DeepClone().AsObject();
            body["metadata"]!.AsObject().Remove("creationTimestamp");
            _create = new ReplicaSetWrite(body, message ?? _create.Event);
            return;
        }

        var index = _updates.FindIndex(u => ObjectKeys.Name(u.ReplicaSet) == ObjectKeys.Name(set));
        if (index >= 0)
        {
            _updates[index] = new ReplicaSetWrite(set, message ?? _updates[index].Event);
        }
        else
        {
            _updates.Add(new ReplicaSetWrite(set, message));
        }
    }
}
