using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// The scale target's pods sorted as upstream's <c>groupPods</c> sorts them: being deleted or Failed → ignored;
/// Pending → unready; no sample → missing; for CPU only, a pod without a Ready condition or start time, one still
/// in its initialization period whose sample is unready or older than one window after its last readiness change,
/// or one past that period that is unready and never became ready within the initial readiness delay → unready;
/// everything else → ready. Pure.
/// </summary>
internal sealed record PodGroups(int ReadyCount, IReadOnlySet<string> Unready, IReadOnlySet<string> Missing, IReadOnlySet<string> Ignored)
{
    public static PodGroups Of(IReadOnlyList<JsonObject> pods, IReadOnlyDictionary<string, PodMetric> metrics, string resource, AutoscalerSettings settings, DateTimeOffset now)
    {
        var ready = 0;
        var unready = new HashSet<string>(StringComparer.Ordinal);
        var missing = new HashSet<string>(StringComparer.Ordinal);
        var ignored = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            var name = ObjectKeys.Name(pod);
            var phase = pod.Obj("status").Str("phase");
            if (ObjectKeys.IsDeleting(pod) || phase == "Failed")
            {
                ignored.Add(name);
                continue;
            }

            if (phase == "Pending")
            {
                unready.Add(name);
                continue;
            }

            if (!metrics.TryGetValue(name, out var metric))
            {
                missing.Add(name);
                continue;
            }

            if (resource == "cpu" && IsUnreadyForCpu(pod, metric, settings, now))
            {
                unready.Add(name);
                continue;
            }

            ready++;
        }

        return new PodGroups(ready, unready, missing, ignored);
    }

    private static bool IsUnreadyForCpu(JsonObject pod, PodMetric metric, AutoscalerSettings settings, DateTimeOffset now)
    {
        var condition = PodState.Condition(pod, "Ready");
        var started = PodState.Time(pod.Obj("status").Str("startTime"));
        if (condition is null || started is not { } start)
        {
            return true;
        }

        var isFalse = condition.Str("status") == "False";
        var transition = PodState.Time(condition.Str("lastTransitionTime")) ?? DateTimeOffset.MinValue;
        if (start + settings.CpuInitializationPeriod > now)
        {
            // Still initializing: trust only a ready pod's sample taken a full window after it became ready.
            return isFalse || metric.Timestamp < transition + metric.Window;
        }

        // Past initialization: ignore only a pod that is unready and has never been ready.
        return isFalse && start + settings.InitialReadinessDelay > transition;
    }
}
