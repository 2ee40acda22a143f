using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// Runs one pod on this node: its init containers one after another, then its containers side by side, each
/// restarted by the pod's <c>restartPolicy</c> under <see cref="CrashLoopBackOff"/>, and writes the pod's status
/// through <c>pods/status</c> whenever a container changes. When the pod is marked for deletion the worker stops
/// every container (SIGTERM, the pod's grace period, SIGKILL) and then deletes the pod with
/// <c>gracePeriodSeconds=0</c> and its uid as precondition, as the kubelet does. One worker per pod uid; its
/// records are guarded by one lock; <see cref="Terminate"/> may be called from any thread.
/// </summary>
internal sealed partial class PodWorker
{
    /// <summary>How long a container that cannot be configured (a config map or secret missing) waits before the next try.</summary>
    private static readonly TimeSpan ConfigRetry = TimeSpan.FromSeconds(5);

    private readonly ApiClient _api;
    private readonly IContainerRuntime _runtime;
    private readonly IProber _prober;
    private readonly EventRecorder _events;
    private readonly PodVolumes _volumes;
    private Dictionary<string, string> _volumeDirectories = new(StringComparer.Ordinal);
    private Task _volumeRenewal = Task.CompletedTask;
    private readonly KubeletSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly List<ContainerRecord> _init;
    private readonly List<ContainerRecord> _main;
    private readonly Channel<bool> _dirty = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _terminate = new();
    private readonly CancellationTokenSource _forget = new();
    private readonly DateTimeOffset _startTime;
    private readonly JsonObject _pod;
    private JsonArray? _conditions;
    private TimeSpan _grace;
    private bool _deleteWhenStopped;

    public PodWorker(ApiClient api, IContainerRuntime runtime, IProber prober, EventRecorder events, KubeletSettings settings, JsonObject pod, TimeProvider time, ILogger logger)
    {
        _volumes = new PodVolumes(api, settings, time);
        _api = api;
        _runtime = runtime;
        _prober = prober;
        _events = events;
        _settings = settings;
        _time = time;
        _logger = logger;
        _pod = pod;
        _startTime = pod["status"]?["startTime"]?.GetValue<string>() is { } started && DateTimeOffset.TryParse(started, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : time.GetUtcNow();
        _conditions = pod["status"]?["conditions"] as JsonArray;
        _init = [.. Containers("initContainers", init: true)];
        _main = [.. Containers("containers", init: false)];
        Uid = pod["metadata"]?["uid"]?.GetValue<string>() ?? string.Empty;
        Namespace = pod["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty;
        Name = pod["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        _grace = TimeSpan.FromSeconds(Seconds(pod["spec"]?["terminationGracePeriodSeconds"]) ?? 30);
    }

    public string Uid { get; }

    public string Namespace { get; }

    public string Name { get; }

    /// <summary>Completes when the pod's containers are stopped and, if it was being deleted, the pod is gone.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    private string PodPath => $"/api/v1/namespaces/{Namespace}/pods/{Name}";

    private string RestartPolicy => _pod["spec"]?["restartPolicy"]?.GetValue<string>() ?? "Always";

    public void Start() => Completion = Task.Run(RunAsync);

    /// <summary>
    /// Stops the pod's containers with <paramref name="grace"/>; with <paramref name="deletePod"/> the pod object
    /// is deleted afterwards (it was marked for deletion), without it the pod is already gone from the API.
    /// </summary>
    public void Terminate(TimeSpan grace, bool deletePod)
    {
        lock (_gate)
        {
            if (_terminate.IsCancellationRequested)
            {
                return;
            }

            _grace = grace;
            _deleteWhenStopped = deletePod;
        }

        Log.Terminating(_logger, Namespace, Name, (int)grace.TotalSeconds);
        _terminate.Cancel();
        if (!deletePod)
        {
            _forget.Cancel();
        }
    }

    /// <summary>The records of one kind of container, counting restarts on from what an earlier kubelet reported.</summary>
    private IEnumerable<ContainerRecord> Containers(string field, bool init) =>
        (_pod["spec"]?[field] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => new ContainerRecord(c["name"]?.GetValue<string>() ?? string.Empty, c["image"]?.GetValue<string>() ?? string.Empty, init)
            {
                RestartCount = LeftoverContainers.RestartCount(_pod, init ? "initContainerStatuses" : "containerStatuses", c["name"]?.GetValue<string>() ?? string.Empty),
            });

    private JsonObject Spec(ContainerRecord record) =>
        (_pod["spec"]?[record.Init ? "initContainers" : "containers"] as JsonArray ?? []).OfType<JsonObject>().First(c => c["name"]?.GetValue<string>() == record.Name);

    private async Task RunAsync()
    {
        if (LeftoverContainers.Stop(_pod) is > 0 and var leftovers)
        {
            Log.StoppedLeftovers(_logger, Namespace, Name, leftovers);
        }

        var writer = Task.Run(WriteStatusLoopAsync);
        MarkDirty();
        try
        {
            await PrepareVolumesAsync();
            PrepareResolvConf();
            var initialized = true;
            foreach (var init in _init)
            {
                if (!await RunContainerAsync(init, _terminate.Token) || init.Exit is not { ExitCode: 0 })
                {
                    initialized = false;
                    break;
                }
            }

            if (initialized)
            {
                lock (_gate)
                {
                    foreach (var main in _main)
                    {
                        main.WaitingReason = "ContainerCreating";
                    }
                }

                MarkDirty();
                await Task.WhenAll(_main.Select(c => Task.Run(() => RunContainerAsync(c, _terminate.Token))));
            }

            // Finished (or waiting on an error that only a new pod can fix): stay until the pod is deleted.
            MarkDirty();
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, _terminate.Token);
        }
        catch (OperationCanceledException)
        {
        }

        // Commands exec'd into the containers end with them, as a runtime's cgroup kill ends them.
        StopExecs();
        MarkDirty();
        _dirty.Writer.TryComplete();
        await writer;
        // As the kubelet does, the pod's volumes are cleaned up before the pod object is deleted, once no renewal can
        // write into them again.
        await _volumeRenewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _volumes.Remove(Uid);
        if (_deleteWhenStopped)
        {
            await DeletePodAsync();
        }
    }

    /// <summary>
    /// Runs one container until it will not run again or the pod terminates. Returns false when it could not be
    /// created (its record says why) or was stopped by termination.
    /// </summary>
    private async Task<bool> RunContainerAsync(ContainerRecord record, CancellationToken ct)
    {
        var backOff = new CrashLoopBackOff();
        while (!ct.IsCancellationRequested)
        {
            var spec = Spec(record);
            var (sources, configError) = await EnvSourcesAsync(spec, ct);
            var skipped = new List<string>();
            var env = sources is null ? null : ContainerEnvironment.Build(_pod, spec, _settings.NodeIp.ToString(), sources, out configError, out skipped);
            foreach (var line in skipped)
            {
                Log.EnvKeysSkipped(_logger, Namespace, Name, record.Name, line);
                PodEvent(Warning, "InvalidEnvironmentVariableNames", line);
            }

            var argv = env is null ? null : _runtime.Command(spec, env, out configError);
            List<VolumeMount>? mounts = null;
            try
            {
                mounts = PodDns.ContainerMounts(PodVolumes.Mounts(spec, _volumeDirectories), _resolvConf);
            }
            catch (VolumeException e)
            {
                configError ??= e.Message;
                env = null;
            }

            if (env is null || argv is null || mounts is null)
            {
                lock (_gate)
                {
                    record.WaitingReason = env is null ? "CreateContainerConfigError" : "CreateContainerError";
                    record.WaitingMessage = configError;
                }

                Log.CreateFailed(_logger, Namespace, Name, record.Name, configError ?? string.Empty);
                ContainerEvent(record, Warning, "Failed", $"Error: {configError}");
                MarkDirty();
                if (env is not null)
                {
                    return false;
                }

                // A config map, secret or key that is not there yet may be created: the kubelet tries again.
                await Task.Delay(ConfigRetry, _time, ct);
                continue;
            }

            var startedAt = _time.GetUtcNow();
            IRunningContainer process;
            try
            {
                process = _runtime.Start(argv, env, spec["workingDir"]?.GetValue<string>(), LogFile(record), mounts);
            }
            catch (ContainerStartException e)
            {
                Log.StartFailed(_logger, Namespace, Name, record.Name, e.Message);
                ContainerEvent(record, Warning, "Failed", $"Error: {e.Message}");
                if (!await ExitedAsync(record, backOff, new ContainerExit(128, "StartError", e.Message, startedAt, _time.GetUtcNow(), null), ct))
                {
                    return true;
                }

                continue;
            }

            using (process)
            {
                lock (_gate)
                {
                    record.Phase = ContainerPhase.Running;
                    record.Pid = process.Pid;
                    record.ContainerId = process.Id;
                    record.StartedAt = startedAt;
                    record.WaitingMessage = null;
                    record.Environment = env;

                    // Set with the phase, before the status can be posted: a run with a readiness probe starts unready,
                    // also after a restart of a container that was ready before.
                    record.Ready = ProbeSpec.From(spec, "readinessProbe") is null;
                }

                Log.Started(_logger, Namespace, Name, record.Name, process.Id);
                ContainerEvent(record, Normal, "Created", $"Created container: {record.Name}");
                ContainerEvent(record, Normal, "Started", $"Started container {record.Name}");
                MarkDirty();
                int code;
                using var probing = CancellationTokenSource.CreateLinkedTokenSource(ct);
                try
                {
                    var exited = process.WaitAsync(ct);
                    var unhealthy = ProbeAsync(record, spec, env, probing.Token);
                    if (await Task.WhenAny(exited, unhealthy) == unhealthy && await unhealthy)
                    {
                        Log.LivenessFailed(_logger, Namespace, Name, record.Name);
                        ContainerEvent(record, Normal, "Killing", $"Container {record.Name} failed liveness probe, will be restarted");
                        code = await process.StopAsync(CurrentGrace(), _time);
                    }
                    else
                    {
                        code = await exited;
                        await process.DrainAsync();
                    }
                }
                catch (OperationCanceledException)
                {
                    ContainerEvent(record, Normal, "Killing", $"Stopping container {record.Name}");
                    code = await process.StopAsync(CurrentGrace(), _time);
                    lock (_gate)
                    {
                        record.Phase = ContainerPhase.Terminated;
                        record.Exit = new ContainerExit(code, code == 0 ? "Completed" : "Error", null, startedAt, _time.GetUtcNow(), process.Id);
                        record.Done = true;
                    }

                    Log.Stopped(_logger, Namespace, Name, record.Name, code);
                    return false;
                }
                finally
                {
                    await probing.CancelAsync();
                }

                Log.Exited(_logger, Namespace, Name, record.Name, code);
                var exit = new ContainerExit(code, code == 0 ? "Completed" : "Error", null, startedAt, _time.GetUtcNow(), process.Id);
                if (!await ExitedAsync(record, backOff, exit, ct))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private TimeSpan CurrentGrace()
    {
        lock (_gate)
        {
            return _grace;
        }
    }

    /// <summary>
    /// Records an exit; when the restart policy restarts it, waits out the back-off (showing <c>CrashLoopBackOff</c>,
    /// or <c>RunContainerError</c> after a start failure) and returns true to run it again.
    /// </summary>
    private async Task<bool> ExitedAsync(ContainerRecord record, CrashLoopBackOff backOff, ContainerExit exit, CancellationToken ct)
    {
        var restart = record.Init ? exit.ExitCode != 0 && RestartPolicy != "Never" : RestartDecision.ShouldRestart(RestartPolicy, exit.ExitCode);
        TimeSpan delay;
        lock (_gate)
        {
            record.Pid = null;
            record.ContainerId = null;
            if (!restart)
            {
                record.Phase = ContainerPhase.Terminated;
                record.Exit = exit;
                record.Done = true;
                MarkDirty();
                return false;
            }

            delay = backOff.Exited(exit.StartedAt, exit.FinishedAt);
            record.Phase = ContainerPhase.Waiting;
            record.LastExit = exit;
            record.Exit = null;
            var waits = delay > TimeSpan.Zero;
            record.WaitingReason = exit.Reason == "StartError" ? "RunContainerError" : waits ? "CrashLoopBackOff" : "ContainerCreating";
            record.WaitingMessage = exit.Reason == "StartError" ? exit.Message : waits ? backOff.Message(record.Name, Name, Namespace, Uid) : null;
        }

        // A first restart is at once: its status is posted with the new run (running, restartCount and lastState).
        if (delay > TimeSpan.Zero || exit.Reason == "StartError")
        {
            MarkDirty();
        }

        if (delay > TimeSpan.Zero)
        {
            ContainerEvent(record, Warning, "BackOff", $"Back-off restarting failed container {record.Name} in pod {Name}_{Namespace}({Uid})");
        }

        await Task.Delay(delay, _time, ct);
        lock (_gate)
        {
            record.RestartCount++;
        }

        return true;
    }

    private string LogFile(ContainerRecord record)
    {
        int restart;
        lock (_gate)
        {
            restart = record.RestartCount;
        }

        return Path.Combine(_settings.PodLogDirectory, $"{Namespace}_{Name}_{Uid}", record.Name, string.Create(CultureInfo.InvariantCulture, $"{restart}.log"));
    }

    private static long? Seconds(JsonNode? node) =>
        node is JsonValue v && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) ? s : null;
}
