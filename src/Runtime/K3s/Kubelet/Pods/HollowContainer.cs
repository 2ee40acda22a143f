namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A container of a <see cref="HollowRuntime"/>: running from its start until it is stopped or told to
/// <see cref="Exit"/>. Stopping behaves as the pause program does: with a grace period it takes SIGTERM and exits 0
/// at once; without one (<c>--grace-period=0</c>, or liveness restarts with no grace) SIGKILL ends it with 137. It
/// has no process, so <see cref="Pid"/> is null and exec finds nothing to enter. Thread-safe.
/// </summary>
internal sealed class HollowContainer(string id) : IRunningContainer
{
    /// <summary>Exit code of a SIGKILLed process (128 + 9).</summary>
    public const int KilledExitCode = 137;

    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = id;

    public int? Pid => null;

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _exit.Task.IsCompleted;

    /// <summary>Ends the container by itself with <paramref name="code"/> (a simulated crash or completion); false when it had already exited.</summary>
    public bool Exit(int code) => _exit.TrySetResult(code);

    public Task<int> WaitAsync(CancellationToken ct) => _exit.Task.WaitAsync(ct);

    public Task<int> StopAsync(TimeSpan grace, TimeProvider time)
    {
        Exit(grace > TimeSpan.Zero ? 0 : KilledExitCode);
        return _exit.Task;
    }

    public Task DrainAsync() => Task.CompletedTask;

    public void Dispose()
    {
    }
}
