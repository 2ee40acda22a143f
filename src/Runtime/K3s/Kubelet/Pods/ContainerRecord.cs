namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>Where a container is in its life, as <c>containerStatuses[].state</c> names it.</summary>
internal enum ContainerPhase
{
    Waiting,
    Running,
    Terminated,
}

/// <summary>A finished run of a container: <c>state.terminated</c> or <c>lastState.terminated</c>.</summary>
internal sealed record ContainerExit(int ExitCode, string Reason, string? Message, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string? ContainerId);

/// <summary>
/// One container's observed state, owned by its pod's worker, read by <see cref="PodStatusDocument"/> under the
/// worker's lock. <see cref="Done"/> means it will not run again (exited and the restart policy says no, or an init
/// container that succeeded).
/// </summary>
internal sealed class ContainerRecord(string name, string image, bool init)
{
    public string Name { get; } = name;

    public string Image { get; } = image;

    public bool Init { get; } = init;

    public ContainerPhase Phase { get; set; } = ContainerPhase.Waiting;

    public string WaitingReason { get; set; } = init ? "PodInitializing" : "ContainerCreating";

    public string? WaitingMessage { get; set; }

    public int? Pid { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>The current run's end, when <see cref="Phase"/> is Terminated.</summary>
    public ContainerExit? Exit { get; set; }

    /// <summary>The previous run's end, kept across restarts for <c>lastState</c> and <c>kubectl logs --previous</c>.</summary>
    public ContainerExit? LastExit { get; set; }

    public int RestartCount { get; set; }

    /// <summary>The readiness probe's result for the current run (true when the container has no readiness probe).</summary>
    public bool Ready { get; set; } = true;

    public bool Done { get; set; }

    /// <summary>The environment the current or last run started with; what a command exec'd into it gets.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; set; }

    /// <summary>The running container's CRI ID (<see cref="IRunningContainer.Id"/>); null when none runs.</summary>
    public string? ContainerId { get; set; }
}
