using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// What the deployment controller reads from Deployments and ReplicaSets (upstream's deploymentutil): replica counts,
/// revisions and the annotations it keeps on ReplicaSets, and the rolling-update bounds resolved against the replica
/// count (maxSurge rounds up, maxUnavailable rounds down, and both resolving to 0 means maxUnavailable 1).
/// </summary>
internal static class DeploymentFacts
{
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

    /// <summary>Deployment annotations never copied to its ReplicaSets (kubectl rollout undo skips the same ones back).</summary>
    private static readonly HashSet<string> NotCopied = new(StringComparer.Ordinal)
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        RevisionAnnotation,
        RevisionHistoryAnnotation,
        DesiredReplicasAnnotation,
        MaxReplicasAnnotation,
        "deprecated.deployment.rollback.to",
    };

    public static long SpecReplicas(JsonObject obj) => obj.Obj("spec").Long("replicas") ?? 1;

    public static long Status(JsonObject obj, string field) => obj.Obj("status").Long(field) ?? 0;

    public static long Revision(JsonObject obj) =>
        long.TryParse(obj.Obj("metadata").Obj("annotations").Str(RevisionAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var revision) ? revision : 0;

    public static long? Annotation(JsonObject obj, string name) =>
        long.TryParse(obj.Obj("metadata").Obj("annotations").Str(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    public static DateTimeOffset Created(JsonObject obj) => PodState.Time(obj.Obj("metadata").Str("creationTimestamp")) ?? DateTimeOffset.MaxValue;

    public static bool IsRecreate(JsonObject deployment) => deployment.Obj("spec").Obj("strategy").Str("type") == "Recreate";

    public static bool IsPaused(JsonObject deployment) => deployment.Obj("spec").Bool("paused") == true;

    public static long? ProgressDeadlineSeconds(JsonObject deployment) =>
        deployment.Obj("spec").Long("progressDeadlineSeconds") is { } seconds && seconds < int.MaxValue ? seconds : null;

    public static bool CopiesAnnotation(string name) => !NotCopied.Contains(name);

    /// <summary>maxSurge as a pod count (0 for Recreate).</summary>
    public static long MaxSurge(JsonObject deployment) => IsRecreate(deployment) ? 0 : Bounds(deployment).Surge;

    /// <summary>maxUnavailable as a pod count, at most the replicas (0 for Recreate or no replicas).</summary>
    public static long MaxUnavailable(JsonObject deployment)
    {
        var replicas = SpecReplicas(deployment);
        if (IsRecreate(deployment) || replicas == 0)
        {
            return 0;
        }

        return Math.Min(Bounds(deployment).Unavailable, replicas);
    }

    /// <summary>An int-or-percent of <paramref name="total"/>: a percent rounds up or down as asked, an integer is itself.</summary>
    public static long Scaled(JsonNode? value, long total, bool roundUp)
    {
        if (JsonFields.AsString(value) is { } text)
        {
            if (text.EndsWith('%') && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
            {
                var exact = (decimal)total * percent / 100m;
                return (long)(roundUp ? Math.Ceiling(exact) : Math.Floor(exact));
            }

            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : 0;
        }

        return JsonFields.AsLong(value) ?? 0;
    }

    /// <summary>
    /// Whether two pod templates are the same but for the <c>pod-template-hash</c> label, compared as Go compares
    /// typed objects semantically: a null, an empty map and an empty list are the same as an absent field (kubectl
    /// rollout undo writes <c>creationTimestamp: null</c> into the template it copies back).
    /// </summary>
    public static bool SameTemplate(JsonObject? a, JsonObject? b) => JsonNode.DeepEquals(Semantic(WithoutHash(a)), Semantic(WithoutHash(b)));

    /// <summary>A copy of <paramref name="template"/> without the <c>pod-template-hash</c> label (what kubectl rollout undo writes back too).</summary>
    public static JsonObject WithoutHash(JsonObject? template)
    {
        var copy = JsonNode.Parse((template ?? []).ToJsonString())!.AsObject();
        if (copy["metadata"]?["labels"] is JsonObject labels)
        {
            labels.Remove(PodTemplateHash.Label);
        }

        return copy;
    }

    /// <summary>Removes nulls, empty objects and empty arrays, deepest first.</summary>
    private static JsonNode? Semantic(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (Semantic(value) is null)
                    {
                        obj.Remove(name);
                    }
                }

                return obj.Count == 0 ? null : obj;
            case JsonArray array:
                foreach (var item in array)
                {
                    Semantic(item);
                }

                return array.Count == 0 ? null : array;
            default:
                return node;
        }
    }

    private static (long Surge, long Unavailable) Bounds(JsonObject deployment)
    {
        var rolling = deployment.Obj("spec").Obj("strategy").Obj("rollingUpdate");
        var replicas = SpecReplicas(deployment);
        var surge = Scaled(rolling?["maxSurge"] ?? "25%", replicas, roundUp: true);
        var unavailable = Scaled(rolling?["maxUnavailable"] ?? "25%", replicas, roundUp: false);
        return surge == 0 && unavailable == 0 ? (0, 1) : (surge, unavailable);
    }
}
