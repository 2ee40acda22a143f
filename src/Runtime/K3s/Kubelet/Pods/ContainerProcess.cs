using System.Diagnostics;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A running container: its process (which leads its own process group) and the tasks copying its output to the
/// log file. <see cref="WaitAsync"/> returns the exit code as a shell reports it (128 + n when signal n ended it).
/// </summary>
internal sealed class ContainerProcess(Process process, Task logs) : IRunningContainer
{
    public int Pid { get; } = process.Id;

    /// <inheritdoc/>
    public string Id => $"process://{Pid}";

    int? IRunningContainer.Pid => Pid;

    public async Task<int> WaitAsync(CancellationToken ct)
    {
        await process.WaitForExitAsync(ct);
        return process.ExitCode;
    }

    /// <summary>
    /// Stops the container: SIGTERM to its group, up to <paramref name="grace"/> for it to exit, then SIGKILL to
    /// whatever is left of the group. Returns the exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace, TimeProvider time)
    {
        if (!process.HasExited)
        {
            ProcessGroups.Signal(Pid, ProcessGroups.SigTerm);
            using var timeout = new CancellationTokenSource(grace, time);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        ProcessGroups.Signal(Pid, ProcessGroups.SigKill);
        await process.WaitForExitAsync(CancellationToken.None);
        await DrainAsync();
        return process.ExitCode;
    }

    /// <summary>After the leader exited: kills what it left in its group and waits for the log copy to finish.</summary>
    public async Task DrainAsync()
    {
        ProcessGroups.Signal(Pid, ProcessGroups.SigKill);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await logs.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => process.Dispose();
}
