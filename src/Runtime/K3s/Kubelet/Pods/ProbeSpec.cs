using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A container probe's timing and thresholds with the kubelet's defaults: <c>initialDelaySeconds</c> 0,
/// <c>periodSeconds</c> 10, <c>timeoutSeconds</c> 1, <c>successThreshold</c> 1, <c>failureThreshold</c> 3; and its
/// handler (<c>exec</c>, <c>httpGet</c> or <c>tcpSocket</c>) as given.
/// </summary>
internal sealed record ProbeSpec(JsonObject Handler, TimeSpan InitialDelay, TimeSpan Period, TimeSpan Timeout, int SuccessThreshold, int FailureThreshold)
{
    /// <summary>The probe in <paramref name="container"/>'s <paramref name="field"/> (<c>livenessProbe</c>, <c>readinessProbe</c>), or null.</summary>
    public static ProbeSpec? From(JsonObject container, string field) =>
        container[field] is JsonObject probe
            ? new ProbeSpec(
                probe,
                TimeSpan.FromSeconds(Int(probe, "initialDelaySeconds") ?? 0),
                TimeSpan.FromSeconds(Math.Max(1, Int(probe, "periodSeconds") ?? 10)),
                TimeSpan.FromSeconds(Math.Max(1, Int(probe, "timeoutSeconds") ?? 1)),
                Math.Max(1, Int(probe, "successThreshold") ?? 1),
                Math.Max(1, Int(probe, "failureThreshold") ?? 3))
            : null;

    private static int? Int(JsonObject probe, string field) =>
        probe[field] is JsonValue v && int.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null;
}
