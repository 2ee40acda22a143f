using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// The prober of a hollow node: every attempt passes, as kubemark's hollow kubelets report probed containers
/// healthy. The probe loop itself still runs, so a readiness probe's <c>initialDelaySeconds</c>, period and
/// success threshold still decide when the container turns ready, and a liveness probe never restarts it.
/// </summary>
internal sealed class PassingProber : IProber
{
    public static readonly PassingProber Instance = new();

    private PassingProber()
    {
    }

    public Task<ProbeResult> ProbeAsync(ProbeSpec spec, JsonObject container, IReadOnlyDictionary<string, string> environment, string podIp, int? containerPid, CancellationToken ct) =>
        Task.FromResult(ProbeResult.Pass);
}
