using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Resources.Defaults;

/// <summary>
/// kube 1.33's autoscaling/v2 <c>SetDefaults_HorizontalPodAutoscaler</c> on the stored (v2) shape: one replica at
/// least, cpu at 80% utilization when no metric is given, and a behavior, once present, filled in both directions
/// with the autoscaler's built-in rules for every field left unset (scale-down keeps no default stabilization
/// window: the controller's <c>--horizontal-pod-autoscaler-downscale-stabilization</c> applies). A scaling rule's
/// <c>tolerance</c> is dropped, as kube's strategy drops it while the HPAConfigurableTolerance gate is off (alpha,
/// the default in 1.33); the gate-free defaults of later releases (<c>selectionStrategy</c>) do not apply.
/// </summary>
internal static class HorizontalPodAutoscalerDefaults
{
    private const int DefaultCpuUtilization = 80;

    public static void Spec(JsonObject spec)
    {
        Json.Default(spec, "minReplicas", 1);
        if (spec["metrics"] is not JsonArray { Count: > 0 })
        {
            spec["metrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject
                {
                    ["name"] = "cpu",
                    ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = DefaultCpuUtilization },
                },
            });
        }

        if (spec["behavior"] is JsonObject behavior)
        {
            var scaleUp = Json.Child(behavior, "scaleUp");
            Json.Default(scaleUp, "stabilizationWindowSeconds", 0);
            Json.Default(scaleUp, "selectPolicy", "Max");
            Json.Default(scaleUp, "policies", new JsonArray(Policy("Pods", 4), Policy("Percent", 100)));
            var scaleDown = Json.Child(behavior, "scaleDown");
            Json.Default(scaleDown, "selectPolicy", "Max");
            Json.Default(scaleDown, "policies", new JsonArray(Policy("Percent", 100)));
            scaleUp.Remove("tolerance");
            scaleDown.Remove("tolerance");
        }
    }

    private static JsonObject Policy(string type, int value) => new() { ["type"] = type, ["value"] = value, ["periodSeconds"] = 15 };
}
