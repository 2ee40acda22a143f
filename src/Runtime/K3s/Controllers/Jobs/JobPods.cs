using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Jobs;

/// <summary>How the Job controller makes and reads its pods: the tracking finalizer, completion indexes and outcomes.</summary>
internal static class JobPods
{
    public const string ApiVersion = "batch/v1";
    public const string Kind = "Job";

    /// <summary>Keeps a finished pod until the Job has counted it, so deleting pods never loses a success or failure.</summary>
    public const string TrackingFinalizer = "batch.kubernetes.io/job-tracking";

    public const string IndexAnnotation = "batch.kubernetes.io/job-completion-index";

    /// <summary>
    /// A pod of <paramref name="job"/> from its template with the tracking finalizer; for an Indexed Job (index ≥ 0)
    /// the completion index as annotation, label and <c>JOB_COMPLETION_INDEX</c>, and the hostname <c>{job}-{index}</c>.
    /// </summary>
    public static JsonObject NewPod(JsonObject job, int index)
    {
        var name = ObjectKeys.Name(job);
        var pod = PodTemplates.NewPod(job, ApiVersion, Kind, job.Obj("spec").Obj("template"), index >= 0 ? $"{name}-{index}-" : $"{name}-");
        var metadata = pod.Obj("metadata")!;
        if (metadata["finalizers"] is not JsonArray finalizers)
        {
            metadata["finalizers"] = finalizers = [];
        }

        if (!finalizers.Any(f => JsonFields.AsString(f) == TrackingFinalizer))
        {
            finalizers.Add((JsonNode)TrackingFinalizer);
        }

        if (index >= 0)
        {
            var text = index.ToString(CultureInfo.InvariantCulture);
            var annotations = metadata["annotations"] as JsonObject ?? [];
            annotations[IndexAnnotation] = text;
            metadata["annotations"] = annotations;
            metadata.Obj("labels")![IndexAnnotation] = text;
            var spec = pod.Obj("spec")!;
            if (!spec.Has("hostname"))
            {
                spec["hostname"] = $"{name}-{text}";
            }

            foreach (var container in spec.Arr("containers").Items().Concat(spec.Arr("initContainers").Items()).Select(i => i.Item).OfType<JsonObject>())
            {
                if (container["env"] is not JsonArray env)
                {
                    container["env"] = env = [];
                }

                env.Add((JsonNode)new JsonObject { ["name"] = "JOB_COMPLETION_INDEX", ["value"] = text });
            }
        }

        return pod;
    }

    public static bool HasFinalizer(JsonObject pod) =>
        pod.Obj("metadata").Arr("finalizers").Items().Any(f => JsonFields.AsString(f.Item) == TrackingFinalizer);

    /// <summary>The finalizers of <paramref name="pod"/> without the tracking one.</summary>
    public static JsonArray FinalizersWithoutTracking(JsonObject pod) =>
        [.. pod.Obj("metadata").Arr("finalizers").Items().Select(f => f.Item).Where(f => JsonFields.AsString(f) != TrackingFinalizer).Select(f => f!.DeepClone())];

    /// <summary>The pod's completion index, or -1.</summary>
    public static int Index(JsonObject pod) =>
        int.TryParse(pod.Obj("metadata").Obj("annotations").Str(IndexAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : -1;

    /// <summary>
    /// Succeeded, Failed, or null while the pod still counts as active. A pod being deleted before it succeeded
    /// counts as failed (upstream's isPodFailed), so an orphaned or evicted pod is never lost.
    /// </summary>
    public static string? Outcome(JsonObject pod) => PodState.Phase(pod) switch
    {
        "Succeeded" => "Succeeded",
        "Failed" => "Failed",
        _ when ObjectKeys.IsDeleting(pod) => "Failed",
        _ => null,
    };

    /// <summary>When the pod finished: its containers' latest finishedAt, else its Ready condition's change, else its creation.</summary>
    public static DateTimeOffset FinishedAt(JsonObject pod)
    {
        var finished = pod.Obj("status").Arr("containerStatuses").Items()
            .Select(i => PodState.Time(i.Item.Obj("state").Obj("terminated").Str("finishedAt")))
            .OfType<DateTimeOffset>()
            .DefaultIfEmpty(DateTimeOffset.MinValue)
            .Max();
        if (finished != DateTimeOffset.MinValue)
        {
            return finished;
        }

        return PodState.Time(PodState.Condition(pod, "Ready").Str("lastTransitionTime"))
            ?? PodState.Time(pod.Obj("metadata").Str("creationTimestamp"))
            ?? DateTimeOffset.MinValue;
    }

    /// <summary>Container restarts of a pod (upstream counts them against backoffLimit under restartPolicy OnFailure).</summary>
    public static long Restarts(JsonObject pod) =>
        pod.Obj("status").Arr("containerStatuses").Items().Concat(pod.Obj("status").Arr("initContainerStatuses").Items())
            .Sum(i => i.Item.Long("restartCount") ?? 0);
}
