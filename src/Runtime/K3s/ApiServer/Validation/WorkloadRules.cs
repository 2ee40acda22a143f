using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// The specs of Deployments, ReplicaSets, DaemonSets, StatefulSets, ReplicationControllers and PodTemplates, as
/// apps' and core's validation orders them: replica counts, the selector (required, valid, not empty, matching the
/// template's labels), the pod template, a restart policy of Always, and the update strategies. StatefulSet
/// templates get their labels checked but not their pod spec, as in kube-apiserver 1.33.
/// </summary>
internal static class WorkloadRules
{
    public static void Deployment(JsonObject? spec, FieldErrorList errors)
    {
        errors.NonNegative("spec.replicas", spec.Long("replicas"));
        if (Selector(spec, "deployment", errors) is { } selector)
        {
            TemplateForReplicaSet(spec.Obj("template"), selector.Selector, errors);
        }

        UpdateStrategyRules.Deployment(spec.Obj("strategy"), errors);
        var minReady = spec.Long("minReadySeconds");
        errors.NonNegative("spec.minReadySeconds", minReady);
        errors.NonNegative("spec.revisionHistoryLimit", spec.Long("revisionHistoryLimit"));
        if (spec.Long("progressDeadlineSeconds") is { } deadline)
        {
            errors.NonNegative("spec.progressDeadlineSeconds", deadline);
            if (deadline <= (minReady ?? 0))
            {
                errors.Invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds");
            }
        }
    }

    public static void ReplicaSet(JsonObject? spec, FieldErrorList errors)
    {
        errors.NonNegative("spec.replicas", spec.Long("replicas"));
        errors.NonNegative("spec.minReadySeconds", spec.Long("minReadySeconds"));
        if (Selector(spec, "deployment", errors) is { } selector)
        {
            TemplateForReplicaSet(spec.Obj("template"), selector.Selector, errors);
        }
    }

    public static void DaemonSet(JsonObject? spec, FieldErrorList errors)
    {
        var selector = spec.Obj("selector");
        var template = spec.Obj("template");
        if (SelectorRules.Validate(selector, "spec.selector", errors) && !SelectorRules.Matches(selector, template.Obj("metadata").Obj("labels")))
        {
            LabelsMismatch(template, errors);
        }

        if (selector is not null && SelectorRules.IsEmpty(selector))
        {
            errors.Invalid("spec.selector", GoValue.LabelSelector(selector), "empty selector is invalid for daemonset");
        }

        PodSpecRules.TemplateSpec(template, "spec.template", errors);
        AlwaysRestarts(template, "DaemonSet", errors);
        errors.NonNegative("spec.minReadySeconds", spec.Long("minReadySeconds"));
        UpdateStrategyRules.DaemonSet(spec.Obj("updateStrategy"), errors);
        errors.NonNegative("spec.revisionHistoryLimit", spec.Long("revisionHistoryLimit"));
    }

    public static void StatefulSet(JsonObject? spec, FieldErrorList errors)
    {
        if (spec.Str("podManagementPolicy") is { Length: > 0 } policy && policy is not ("OrderedReady" or "Parallel"))
        {
            errors.Invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'");
        }

        var strategy = spec.Obj("updateStrategy");
        switch (strategy.Str("type"))
        {
            case null or "":
                break;
            case "OnDelete":
                if (strategy.Obj("rollingUpdate") is { } onDeleteRolling)
                {
                    var maxUnavailable = onDeleteRolling.Has("maxUnavailable") ? "0xc000100000" : "nil";
                    errors.Invalid("spec.updateStrategy.rollingUpdate", new GoValue($"apps.RollingUpdateStatefulSetStrategy{{Partition:{onDeleteRolling.Long("partition") ?? 0}, MaxUnavailable:(*intstr.IntOrString)({maxUnavailable})}}"), "only allowed for updateStrategy 'RollingUpdate'");
                }

                break;
            case "RollingUpdate":
                errors.NonNegative("spec.updateStrategy.rollingUpdate.partition", strategy.Obj("rollingUpdate").Long("partition"));
                break;
            default:
                errors.Invalid("spec.updateStrategy", GoValue.Strategy("apps.StatefulSetUpdateStrategy", strategy, "apps.RollingUpdateStatefulSetStrategy"), "must be 'RollingUpdate' or 'OnDelete'");
                break;
        }

        foreach (var when in new[] { "whenDeleted", "whenScaled" })
        {
            if (spec.Obj("persistentVolumeClaimRetentionPolicy").Str(when) is { Length: > 0 } retention && retention is not ("Retain" or "Delete"))
            {
                errors.NotSupported($"spec.persistentVolumeClaimRetentionPolicy.{when}", retention, "Retain", "Delete");
            }
        }

        errors.NonNegative("spec.replicas", spec.Long("replicas"));
        errors.NonNegative("spec.minReadySeconds", spec.Long("minReadySeconds"));
        errors.NonNegative("spec.ordinals.start", spec.Obj("ordinals").Long("start"));
        var template = spec.Obj("template");
        if (Selector(spec, "statefulset", errors, invalidDetail: string.Empty) is { } selector)
        {
            if (!SelectsEverything(selector.Selector) && !SelectorRules.Matches(selector.Selector, template.Obj("metadata").Obj("labels")))
            {
                LabelsMismatch(template, errors);
            }

            MetadataRules.Labels(template.Obj("metadata").Obj("labels"), "spec.template.labels", errors);
            MetadataRules.Annotations(template.Obj("metadata").Obj("annotations"), "spec.template.annotations", errors);
        }

        AlwaysRestarts(template, "StatefulSet", errors);
    }

    public static void ReplicationController(JsonObject? spec, FieldErrorList errors)
    {
        errors.NonNegative("spec.minReadySeconds", spec.Long("minReadySeconds"));
        var selector = spec.Obj("selector");
        if (selector is not { Count: > 0 })
        {
            errors.Required("spec.selector");
        }

        errors.NonNegative("spec.replicas", spec.Long("replicas"));
        if (spec.Obj("template") is not { } template)
        {
            errors.Required("spec.template");
            return;
        }

        if (selector is { Count: > 0 } && !SelectorRules.MatchesMap(selector, template.Obj("metadata").Obj("labels")))
        {
            LabelsMismatch(template, errors);
        }

        PodSpecRules.TemplateSpec(template, "spec.template", errors);
        AlwaysRestarts(template, "ReplicationController", errors);
    }

    /// <summary>
    /// The selector checks Deployments, ReplicaSets and StatefulSets share. Returns the selector to match templates
    /// with (null inside when missing, which selects nothing), or null when it is unusable and reported as such.
    /// </summary>
    private static SelectorResult? Selector(JsonObject? spec, string kind, FieldErrorList errors, string invalidDetail = "invalid label selector")
    {
        var selector = spec.Obj("selector");
        if (selector is null)
        {
            errors.Required("spec.selector");
            return new SelectorResult(null);
        }

        var usable = SelectorRules.Validate(selector, "spec.selector", errors);
        if (SelectorRules.IsEmpty(selector))
        {
            errors.Invalid("spec.selector", GoValue.LabelSelector(selector), $"empty selector is invalid for {kind}");
        }

        if (!usable)
        {
            errors.Invalid("spec.selector", GoValue.LabelSelector(selector), invalidDetail);
            return null;
        }

        return new SelectorResult(selector);
    }

    private static void TemplateForReplicaSet(JsonObject? template, JsonObject? selector, FieldErrorList errors)
    {
        if (!SelectsEverything(selector) && !SelectorRules.Matches(selector, template.Obj("metadata").Obj("labels")))
        {
            LabelsMismatch(template, errors);
        }

        PodSpecRules.TemplateSpec(template, "spec.template", errors);
        AlwaysRestarts(template, "ReplicaSet", errors);
    }

    /// <summary>An empty selector selects everything (<c>selector.Empty()</c>); a missing one nothing.</summary>
    private static bool SelectsEverything(JsonObject? selector) => selector is not null && SelectorRules.IsEmpty(selector);

    private static void LabelsMismatch(JsonObject? template, FieldErrorList errors) =>
        errors.Invalid("spec.template.metadata.labels", GoValue.StringMap(template.Obj("metadata")?["labels"]), "`selector` does not match template `labels`");

    /// <summary>Controllers restart their pods: only Always, and no deadline.</summary>
    private static void AlwaysRestarts(JsonObject? template, string kind, FieldErrorList errors)
    {
        var restartPolicy = PodSpecRules.RestartPolicy(template);
        if (restartPolicy != "Always")
        {
            errors.NotSupported("spec.template.spec.restartPolicy", restartPolicy, "Always");
        }

        if (template.Obj("spec").Has("activeDeadlineSeconds"))
        {
            errors.Forbidden("spec.template.spec.activeDeadlineSeconds", $"activeDeadlineSeconds in {kind} is not Supported");
        }
    }

    /// <summary>A workload's selector after its checks; <see cref="Selector"/> is null when it was missing.</summary>
    private readonly record struct SelectorResult(JsonObject? Selector);
}
