namespace K3sLab.K3s.Kubelet.Stats;

/// <summary>
/// One running container's usage at <paramref name="At"/>: cumulative CPU seconds and working-set bytes of its
/// processes, with the moment the current run started (so a reader can tell a restart from a counter that went back).
/// </summary>
internal sealed record ContainerUsage(string Namespace, string Pod, string Container, double CpuSeconds, long WorkingSetBytes, DateTimeOffset StartedAt, DateTimeOffset At);

/// <summary>The node's cumulative CPU seconds and working-set bytes at <paramref name="At"/>, and where they were read.</summary>
internal sealed record NodeUsage(double CpuSeconds, long WorkingSetBytes, DateTimeOffset At, string Source);

/// <summary>A container the kubelet runs now: whose it is, the process that leads its session, and when this run began.</summary>
internal sealed record RunningContainer(string Namespace, string Pod, string Container, int Pid, DateTimeOffset StartedAt);
