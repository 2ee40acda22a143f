namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A container an <see cref="IContainerRuntime"/> started, until it exits. Exit codes are as a shell reports them
/// (128 + n when signal n ended it). The pod worker that started it owns it and disposes it after the exit.
/// </summary>
internal interface IRunningContainer : IDisposable
{
    /// <summary>The CRI container ID reported in the pod's status, e.g. <c>process://1234</c>.</summary>
    string Id { get; }

    /// <summary>The container's process on this node, for exec and attach; null when nothing runs on the node.</summary>
    int? Pid { get; }

    /// <summary>Completes with the exit code when the container exits by itself.</summary>
    Task<int> WaitAsync(CancellationToken ct);

    /// <summary>Stops it: SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL. Returns the exit code.</summary>
    Task<int> StopAsync(TimeSpan grace, TimeProvider time);

    /// <summary>After it exited by itself: cleans up what it left and waits for its output to reach the log.</summary>
    Task DrainAsync();
}
