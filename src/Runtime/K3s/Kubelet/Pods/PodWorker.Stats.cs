using K3sLab.K3s.Kubelet.Stats;

namespace K3sLab.K3s.Kubelet.Pods;

internal sealed partial class PodWorker
{
    /// <summary>The containers of this pod running now as processes of the node (none for a hollow runtime). Thread-safe.</summary>
    public IReadOnlyList<RunningContainer> RunningContainers()
    {
        lock (_gate)
        {
            return
            [
                .. _init.Concat(_main)
                    .Where(c => c is { Phase: ContainerPhase.Running, Pid: > 0, StartedAt: not null })
                    .Select(c => new RunningContainer(Namespace, Name, c.Name, c.Pid!.Value, c.StartedAt!.Value)),
            ];
        }
    }
}
