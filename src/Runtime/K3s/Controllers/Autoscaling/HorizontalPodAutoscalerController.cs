using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// kube-controller-manager's horizontal-pod-autoscaler controller: the IO around <see cref="AutoscalerPlanner"/>.
/// Reads HPAs and pods from the shared caches; for each HPA reads its target's scale subresource and the resource
/// metrics API (<c>metrics.k8s.io/v1beta1</c> PodMetrics of the target's pods), writes the planned replica count to
/// the scale subresource, records events, and writes the status subresource at autoscaling/v2 when it changed.
/// Each HPA is synced every sync period, and at once when it is created or its spec changes (a status write is
/// not a reason to look again). The recommendations and scale events that stabilization and policies read live
/// in memory per HPA and are dropped with the HPA.
/// </summary>
internal sealed partial class HorizontalPodAutoscalerController(AutoscalerSettings? settings = null) : IController
{
    private const string Component = "horizontal-pod-autoscaler";
    private const string PodMetricsResource = "pods.metrics.k8s.io";
    private readonly AutoscalerSettings _settings = settings ?? AutoscalerSettings.Default;
    private readonly ConcurrentDictionary<string, AutoscalerHistory> _histories = new(StringComparer.Ordinal);

    public string Name => "horizontalpodautoscaling";

    public async Task RunAsync(ControllerContext context, CancellationToken ct)
    {
        using var queue = new WorkQueue(context.Time);
        var hpas = await context.Caches.GetAsync(ApiPaths.HorizontalPodAutoscalers, ct);
        var pods = await context.Caches.GetAsync(ApiPaths.Pods, ct);
        using var onHpa = hpas.Subscribe((before, after) =>
        {
            var key = ObjectKeys.Of((after ?? before)!);
            if (after is null)
            {
                _histories.TryRemove(key, out _);
            }
            else if (before is null || ObjectKeys.Generation(before) != ObjectKeys.Generation(after) || ObjectKeys.Uid(before) != ObjectKeys.Uid(after))
            {
                queue.Add(key);
            }
        });

        var logger = context.Loggers.CreateLogger("k3s.controllers.horizontalpodautoscaling");
        await ReconcileLoop.RunAsync(Name, queue, (key, token) => ReconcileAsync(context, hpas, pods, queue, logger, key, token), 1, logger, ct);
    }

    private async Task ReconcileAsync(ControllerContext context, SharedCache hpas, SharedCache pods, WorkQueue queue, ILogger logger, string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKeys.Split(key);
        if (!hpas.Items.TryGetValue(ObjectKeys.CacheKey(ns, name), out var hpa))
        {
            _histories.TryRemove(key, out _);
            return;
        }

        queue.AddAfter(key, _settings.SyncPeriod);
        var history = _histories.GetOrAdd(key, _ => new AutoscalerHistory());
        var now = context.Time.GetUtcNow();
        var target = hpa.Obj("spec").Obj("scaleTargetRef");
        var reference = $"{target.Str("kind")}/{ns}/{target.Str("name")}";
        var (group, resource, path, unresolved) = ScaleTargets.Resolve(target.Str("apiVersion") ?? string.Empty, target.Str("kind") ?? string.Empty, ns, target.Str("name") ?? string.Empty);

        AutoscalerPlan plan;
        JsonObject? scale = null;
        if (path is null)
        {
            var prefix = unresolved!.StartsWith("unexpected GroupVersion", StringComparison.Ordinal) ? "invalid API version in scale target reference" : "unable to determine resource for scale target reference";
            plan = AutoscalerPlanner.ScaleUnavailable(hpa, unresolved, $"{prefix}: {unresolved}", now);
        }
        else
        {
            string? failure;
            (scale, failure) = await GetScaleAsync(context.Api, path, group, resource, target.Str("name") ?? string.Empty, ct);
            if (scale is null)
            {
                plan = AutoscalerPlanner.ScaleUnavailable(hpa, failure!, $"failed to query scale subresource for {reference}: {failure}", now);
            }
            else
            {
                var state = ScaleState.Read(scale);
                var metrics = NeedsResourceMetrics(hpa, state)
                    ? await GetResourceMetricsAsync(context.Api, ns, state.Selector, ct)
                    : ResourceMetricsResponse.Failed("not requested");
                var namespacePods = pods.Items.Values.Where(p => ObjectKeys.Namespace(p) == ns).ToList();
                plan = AutoscalerPlanner.Plan(hpa, state, namespacePods, metrics, history, _settings, now);
            }
        }

        if (plan.Rescale is { } replicas)
        {
            plan = await RescaleAsync(context.Api, path!, scale!, replicas, plan, history, now, logger, key, ct);
        }

        foreach (var e in plan.Events)
        {
            context.Events.Record(hpa, AutoscalerPlanner.ApiVersion, AutoscalerPlanner.Kind, Component, e.Type, e.Reason, e.Message);
        }

        if (plan.StatusChanged)
        {
            await WriteStatusAsync(context, hpa, plan.Status, logger, key, ct);
        }

        if (plan.Error is { } error)
        {
            Log.SyncFailed(logger, key, error);
        }
    }

    /// <summary>Whether this sync will read resource metrics: the target is in range and some metric is a (container) resource.</summary>
    private static bool NeedsResourceMetrics(JsonObject hpa, ScaleState scale)
    {
        var spec = hpa.Obj("spec");
        var min = spec.Long("minReplicas") ?? 1;
        var inRange = !(scale.SpecReplicas == 0 && min != 0) && scale.SpecReplicas <= (spec.Long("maxReplicas") ?? 0) && scale.SpecReplicas >= min;
        return inRange && scale.Selector.Length > 0 && MetricEvaluator.MetricSpecs(hpa).Any(m => m.Str("type") is "Resource" or "ContainerResource");
    }

    private static async Task<(JsonObject? Scale, string? Error)> GetScaleAsync(ApiClient api, string path, string group, string resource, string name, CancellationToken ct)
    {
        try
        {
            return await api.GetAsync(path, ct) is { } scale ? (scale, null) : (null, ClientErrors.NotFound(group, resource, name));
        }
        catch (ApiException e)
        {
            return (null, ClientErrors.Describe(e.Status, e.StatusMessage, "get", group.Length == 0 ? resource : $"{resource}.{group}"));
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return (null, e.Message);
        }
    }

    private static async Task<ResourceMetricsResponse> GetResourceMetricsAsync(ApiClient api, string ns, string selector, CancellationToken ct)
    {
        var path = $"/apis/metrics.k8s.io/v1beta1/namespaces/{Uri.EscapeDataString(ns)}/pods?labelSelector={Uri.EscapeDataString(selector)}";
        try
        {
            return await api.GetAsync(path, ct) is { } list
                ? ResourceMetricsResponse.Of(list)
                : ResourceMetricsResponse.Failed(ClientErrors.Describe(HttpStatusCode.NotFound, null, "get", PodMetricsResource));
        }
        catch (ApiException e)
        {
            return ResourceMetricsResponse.Failed(ClientErrors.Describe(e.Status, e.StatusMessage, "get", PodMetricsResource));
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return ResourceMetricsResponse.Failed(e.Message);
        }
    }

    private static async Task<AutoscalerPlan> RescaleAsync(ApiClient api, string path, JsonObject scale, int replicas, AutoscalerPlan plan, AutoscalerHistory history, DateTimeOffset now, ILogger logger, string key, CancellationToken ct)
    {
        var update = scale.DeepClone().AsObject();
        if (update["spec"] is not JsonObject spec)
        {
            update["spec"] = spec = [];
        }

        spec["replicas"] = replicas;
        try
        {
            await api.PutAsync(path, update, ct);
        }
        catch (ApiException e)
        {
            return AutoscalerPlanner.RescaleFailed(plan, e.StatusMessage ?? e.Message, now);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return AutoscalerPlanner.RescaleFailed(plan, e.Message, now);
        }

        Log.Rescaled(logger, key, ScaleState.Read(scale).SpecReplicas, replicas);
        return AutoscalerPlanner.Rescaled(plan, history, now);
    }

    private static async Task WriteStatusAsync(ControllerContext context, JsonObject hpa, JsonObject status, ILogger logger, string key, CancellationToken ct)
    {
        var updated = hpa.DeepClone().AsObject();
        updated["apiVersion"] = AutoscalerPlanner.ApiVersion;
        updated["kind"] = AutoscalerPlanner.Kind;
        updated["status"] = status;
        try
        {
            await context.Api.PutAsync(ApiPaths.For(ApiPaths.HorizontalPodAutoscalers, ObjectKeys.Namespace(hpa), ObjectKeys.Name(hpa), "status", "v2"), updated, ct);
        }
        catch (ApiException e)
        {
            // Upstream records the failure and tries again at the next sync, which is already queued.
            context.Events.Record(hpa, AutoscalerPlanner.ApiVersion, AutoscalerPlanner.Kind, Component, "Warning", "FailedUpdateStatus", e.StatusMessage ?? e.Message);
            Log.StatusFailed(logger, key, e.Message);
        }
    }
}
