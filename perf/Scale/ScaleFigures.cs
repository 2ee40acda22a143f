using K3sLab.Perf.Store;

namespace K3sLab.Perf.Scale;

/// <summary>Everything one <c>scale</c> run measured, for <see cref="ScaleReport"/>.</summary>
internal sealed record ScaleFigures(
    ScaleOptions Options,
    double ReadySeconds,
    double JoinLoggedSeconds,
    double ServerCpuPerJoin,
    double HollowCpuPerJoin,
    ProcessStats HollowBaseline,
    ProcessStats HollowSettled,
    ProcessStats HollowAfterChurn,
    double ServerIdleRssMiB,
    double ServerSettledRssMiB,
    double ServerAfterChurnRssMiB,
    double ServerCoresHeartbeat,
    double ServerCoresChurn,
    double HollowCoresHeartbeat,
    double HollowCoresChurn,
    ApiLatencyProbe Quiet,
    ApiLatencyProbe Churning,
    PodChurn Churn,
    List<double> StartupSeconds)
{
    /// <summary>The hollow process's growth from one node to all of them, per added node, in KiB.</summary>
    public double RssPerNodeKiB => (HollowSettled.RssMiB - HollowBaseline.RssMiB) * 1024 / Math.Max(1, Options.Nodes - 1);

    public double PssPerNodeKiB => (HollowSettled.PssMiB - HollowBaseline.PssMiB) * 1024 / Math.Max(1, Options.Nodes - 1);

    public IEnumerable<(string Name, Latencies Latencies)> ChurnLatencies =>
        [("GET node", Churning.GetNode), ("LIST pods (namespace)", Churning.ListPods), ("create ConfigMap", Churning.CreateConfigMap), ("create pod", Churn.Creates), ("delete pod", Churn.Deletes)];

    /// <summary>Whether every API call's p99 under churn is within the SLO.</summary>
    public bool MeetsSlo => ChurnLatencies.All(l => l.Latencies.Ms(99) <= ScaleOptions.ApiSlo.TotalMilliseconds);

    public static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
