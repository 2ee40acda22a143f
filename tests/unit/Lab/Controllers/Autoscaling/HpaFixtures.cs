using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.Controllers.Autoscaling;

namespace K3sLab.Lab.Tests.Controllers.Autoscaling;

/// <summary>Pods, PodMetricsLists and HPAs for the autoscaler's pure-core tests, on a fixed clock.</summary>
internal static class HpaFixtures
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly AutoscalerSettings Settings = AutoscalerSettings.Default;

    public static readonly Tolerances Default = new(0.1, 0.1);

    /// <summary>A Running pod of app=web, ready since long ago, its one container <c>app</c> requesting <paramref name="cpu"/>.</summary>
    public static JsonObject Pod(
        string name, string? cpu = "100m", string phase = "Running", string? ready = "True", DateTimeOffset? started = null,
        DateTimeOffset? readySince = null, bool deleting = false, string? memory = null, string app = "web")
    {
        var start = started ?? Now.AddMinutes(-30);
        var requests = new JsonObject();
        if (cpu is not null)
        {
            requests["cpu"] = cpu;
        }

        if (memory is not null)
        {
            requests["memory"] = memory;
        }

        var conditions = new JsonArray();
        if (ready is not null)
        {
            conditions.Add((JsonNode)new JsonObject { ["type"] = "Ready", ["status"] = ready, ["lastTransitionTime"] = Stamp(readySince ?? start.AddSeconds(20)) });
        }

        var metadata = new JsonObject { ["name"] = name, ["namespace"] = "default", ["labels"] = new JsonObject { ["app"] = app } };
        if (deleting)
        {
            metadata["deletionTimestamp"] = Stamp(Now);
        }

        return new JsonObject
        {
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["containers"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "app", ["resources"] = new JsonObject { ["requests"] = requests } }) },
            ["status"] = new JsonObject { ["phase"] = phase, ["startTime"] = Stamp(start), ["conditions"] = conditions },
        };
    }

    /// <summary>A PodMetricsList with one container <c>app</c> per pod using the given cpu, sampled 5 s ago over 15 s.</summary>
    public static ResourceMetricsResponse Cpu(params (string Pod, string Cpu)[] samples) =>
        ResourceMetricsResponse.Of(List(samples.Select(s => Item(s.Pod, Now.AddSeconds(-5), ("app", new JsonObject { ["cpu"] = s.Cpu, ["memory"] = "10Mi" })))));

    public static JsonObject Item(string pod, DateTimeOffset timestamp, params (string Container, JsonObject Usage)[] containers) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = pod, ["namespace"] = "default" },
        ["timestamp"] = Stamp(timestamp),
        ["window"] = "15s",
        ["containers"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject { ["name"] = c.Container, ["usage"] = c.Usage })]),
    };

    public static JsonObject List(IEnumerable<JsonObject> items) => new() { ["kind"] = "PodMetricsList", ["items"] = new JsonArray([.. items]) };

    /// <summary>An HPA of Deployment web, min 1 max 10, cpu at <paramref name="utilization"/>%; extra spec fields merged in.</summary>
    public static JsonObject Hpa(int utilization = 50, int min = 1, int max = 10, JsonObject? behavior = null, JsonArray? metrics = null, JsonObject? status = null)
    {
        var spec = new JsonObject
        {
            ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = "web" },
            ["minReplicas"] = min,
            ["maxReplicas"] = max,
            ["metrics"] = metrics ?? new JsonArray((JsonNode)CpuMetric(utilization)),
        };
        if (behavior is not null)
        {
            spec["behavior"] = behavior;
        }

        var hpa = new JsonObject
        {
            ["apiVersion"] = "autoscaling/v2",
            ["kind"] = "HorizontalPodAutoscaler",
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "default", ["generation"] = 2, ["uid"] = "u1" },
            ["spec"] = spec,
        };
        if (status is not null)
        {
            hpa["status"] = status;
        }

        return hpa;
    }

    public static JsonObject CpuMetric(int utilization) => new()
    {
        ["type"] = "Resource",
        ["resource"] = new JsonObject { ["name"] = "cpu", ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = utilization } },
    };

    public static ScaleState Scale(int replicas) => new(replicas, replicas, "app=web");

    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonObject? Condition(JsonObject status, string type) =>
        status["conditions"]!.AsArray().OfType<JsonObject>().FirstOrDefault(c => c["type"]!.GetValue<string>() == type);

    public static string Reason(JsonObject status, string type) => Condition(status, type)!["reason"]!.GetValue<string>();

    public static string Message(JsonObject status, string type) => Condition(status, type)!["message"]!.GetValue<string>();

    public static string State(JsonObject status, string type) => Condition(status, type)!["status"]!.GetValue<string>();
}
