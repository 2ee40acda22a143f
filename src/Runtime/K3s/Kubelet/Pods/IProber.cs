using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// One probe attempt against a running container: whether it passed, and its output. <see cref="Prober"/> runs the probe for
/// real; <see cref="PassingProber"/> stands in on hollow nodes. Thread-safe.
/// </summary>
internal interface IProber
{
    Task<ProbeResult> ProbeAsync(ProbeSpec spec, JsonObject container, IReadOnlyDictionary<string, string> environment, string podIp, int? containerPid, CancellationToken ct);
}
