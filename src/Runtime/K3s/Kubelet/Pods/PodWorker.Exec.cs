namespace K3sLab.K3s.Kubelet.Pods;

// What exec and attach need of a running container.
internal sealed partial class PodWorker
{
    private readonly HashSet<ExecProcess> _execs = [];
    private bool _execsStopped;

    /// <summary>
    /// Registers a command exec'd into one of the pod's containers, so it is killed when the containers stop; disposing
    /// the result forgets it. A command registered after the containers stopped is killed at once.
    /// </summary>
    public IDisposable TrackExec(ExecProcess process)
    {
        bool stopped;
        lock (_gate)
        {
            stopped = _execsStopped;
            if (!stopped)
            {
                _execs.Add(process);
            }
        }

        if (stopped)
        {
            process.Kill();
        }

        return new ExecRegistration(this, process);
    }

    private void StopExecs()
    {
        List<ExecProcess> running;
        lock (_gate)
        {
            _execsStopped = true;
            running = [.. _execs];
            _execs.Clear();
        }

        foreach (var process in running)
        {
            process.Kill();
        }
    }

    private sealed class ExecRegistration(PodWorker worker, ExecProcess process) : IDisposable
    {
        public void Dispose()
        {
            lock (worker._gate)
            {
                worker._execs.Remove(process);
            }
        }
    }

    /// <summary>The pod's IP (the node's InternalIP: pods share the node's network).</summary>
    public System.Net.IPAddress NodeIp => _settings.NodeIp;

    /// <summary>
    /// The running container <paramref name="container"/>, or null with the kubelet's message when there is none:
    /// the kubelet looks for the container among running ones only, so one that is waiting or has exited is
    /// <c>container not found ("c")</c>.
    /// </summary>
    public ExecTarget? FindRunning(string container, out string error)
    {
        error = $"container not found (\"{container}\")";
        ContainerRecord? record;
        int pid;
        IReadOnlyDictionary<string, string> env;
        lock (_gate)
        {
            record = _main.Concat(_init).FirstOrDefault(c => c.Name == container);
            if (record is not { Phase: ContainerPhase.Running, Pid: { } running, Environment: { } started })
            {
                return null;
            }

            pid = running;
            env = started;
        }

        var spec = Spec(record);

        var log = LogTarget(container, previous: false);
        return new ExecTarget(
            env,
            spec["workingDir"]?.GetValue<string>(),
            pid,
            spec["stdin"]?.GetValue<bool>() == true,
            spec["tty"]?.GetValue<bool>() == true,
            log.Path ?? string.Empty,
            log.Live);
    }
}
