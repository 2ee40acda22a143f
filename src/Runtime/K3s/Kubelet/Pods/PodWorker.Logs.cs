using System.Globalization;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>Which log file a <c>/containerLogs</c> request reads, or why none: the kubelet's status code and message.</summary>
/// <param name="Path">The CRI log file of the chosen run; null with an error.</param>
/// <param name="Live">Whether that run is still running (following ends when it is not).</param>
/// <param name="Status">404 for a container the pod does not have, 400 for one without such a run.</param>
/// <param name="Error">The kubelet's message.</param>
internal sealed record ContainerLogTarget(string? Path, Func<bool> Live, int Status = 200, string? Error = null);

internal sealed partial class PodWorker
{
    /// <summary>
    /// The log file of <paramref name="container"/>'s current run (or, with <paramref name="previous"/>, of the run
    /// before it), choosing as the kubelet's <c>validateContainerLogStatus</c> does: a running or terminated run, else
    /// the last terminated one; a container still waiting for its first run has none.
    /// </summary>
    public ContainerLogTarget LogTarget(string container, bool previous)
    {
        lock (_gate)
        {
            var record = _main.Concat(_init).FirstOrDefault(c => c.Name == container);
            if (record is null)
            {
                return new ContainerLogTarget(null, () => false, 404, $"container \"{container}\" not found in pod \"{Name}\"");
            }

            // The current run writes <restartCount>.log; while a restart waits out its back-off the count is not yet
            // raised, so that file is the run that just ended (lastState), which is also what --previous shows then.
            var restart = record.RestartCount;
            int run;
            if (previous)
            {
                if (record.LastExit is null)
                {
                    return new ContainerLogTarget(null, () => false, 400, $"previous terminated container \"{container}\" in pod \"{Name}\" not found");
                }

                run = record.Phase == ContainerPhase.Waiting ? restart : restart - 1;
            }
            else if (record.Phase != ContainerPhase.Waiting || record.LastExit is not null)
            {
                run = restart;
            }
            else
            {
                return new ContainerLogTarget(null, () => false, 400, $"container \"{container}\" in pod \"{Name}\" is waiting to start: {record.WaitingReason}");
            }

            var live = !previous && record.Phase == ContainerPhase.Running;
            return new ContainerLogTarget(
                Path.Combine(_settings.PodLogDirectory, $"{Namespace}_{Name}_{Uid}", record.Name, string.Create(CultureInfo.InvariantCulture, $"{run}.log")),
                live ? () => IsRunning(record, restart) : () => false);
        }
    }

    private bool IsRunning(ContainerRecord record, int restart)
    {
        lock (_gate)
        {
            return record.Phase == ContainerPhase.Running && record.RestartCount == restart;
        }
    }
}
