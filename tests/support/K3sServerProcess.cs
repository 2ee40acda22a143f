using System.Diagnostics;
using System.Text;
using K3sLab.Lab.Host;

namespace K3sLab.Tests.Support;

/// <summary>
/// A real <c>k3s server</c> process from the published runtime (artifacts/bin/k3s, published first if stale),
/// on a free loopback port with its own data dir, for tests that talk to it with real clients.
/// Started once per test class; stopped with SIGTERM, then killed if it does not exit. Servers start with
/// <c>--disable-agent</c> (tests register fake nodes and pods) and, like kube-apiserver's own integration tests,
/// without the scheduler and controller manager and without the ServiceAccount admission plugin
/// (<c>disable-admission-plugins=ServiceAccount</c>: no controller makes the <c>default</c> accounts it would look
/// for), so what a test writes stays as written. <see cref="WithKubelet"/> runs the server's kubelet with the
/// admission plugin and the two controllers real pods need for it
/// (<c>controllers=serviceaccount-controller,root-ca-certificate-publisher-controller</c>: every namespace gets its
/// <c>default</c> ServiceAccount and <c>kube-root-ca.crt</c>); <see cref="WithKubelet"/>
/// runs the server's kubelet (disposal then also kills the pod processes it left behind), and
/// <see cref="WithControllers"/> runs the scheduler and controllers. Every server gets <c>--disable-kube-proxy</c>
/// and <c>--disable coredns</c>: the service proxy writes the node's iptables and the cluster DNS takes port 53, and
/// these servers' node is the test machine itself.
/// </summary>
public sealed class K3sServerProcess : IAsyncLifetime, IApiTarget
{
    private readonly StringBuilder _log = new();
    private readonly string[] _extraArguments;
    private Process? _process;

    public K3sServerProcess()
        : this([])
    {
    }

    private K3sServerProcess(string[] extraArguments) => _extraArguments = extraArguments;

    private bool _kubelet;
    private bool _controllers;

    /// <summary>A server started with more flags than the defaults, e.g. <c>--kube-apiserver-arg=...</c>; the caller initializes and disposes it.</summary>
    public static K3sServerProcess With(params string[] extraArguments) => new(extraArguments);

    /// <summary>A server that runs its own kubelet (no <c>--disable-agent</c>) and registers its Node, named <c>test-server</c>.</summary>
    public static K3sServerProcess WithKubelet(params string[] extraArguments) => new(extraArguments) { _kubelet = true };

    /// <summary>A server that runs its scheduler and controller manager, and its kubelet when <paramref name="kubelet"/>.</summary>
    public static K3sServerProcess WithControllers(bool kubelet, params string[] extraArguments) => new(extraArguments) { _kubelet = kubelet, _controllers = true };

    private string[] ComponentFlags() =>
        _controllers ? []
        : _kubelet ? ["--disable-scheduler", "--kube-controller-manager-arg", "controllers=serviceaccount-controller,root-ca-certificate-publisher-controller"]
        : ["--disable-scheduler", "--disable-controller-manager", "--kube-apiserver-arg", "disable-admission-plugins=ServiceAccount"];

    /// <summary>The server's process id, while it runs.</summary>
    public int ProcessId => _process?.Id ?? 0;

    public DirectoryInfo Root { get; } = Directory.CreateTempSubdirectory("k3slab-server-");

    public int Port { get; private set; }

    public string DataDir => Path.Combine(Root.FullName, "data");

    public string Kubeconfig => Path.Combine(Root.FullName, "k3s.yaml");

    public string Url => $"https://127.0.0.1:{Port}";

    /// <summary>The CRI log file of one run of a container of a pod on this server's kubelet (<c>agent/logs/pods/ns_pod_uid/container/run.log</c>).</summary>
    public string ContainerLog(string ns, string pod, string uid, string container, int run = 0) =>
        Path.Combine(DataDir, "agent", "logs", "pods", $"{ns}_{pod}_{uid}", container, $"{run}.log");

    /// <summary>What the server logged so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        await new PublishedRuntime().InitializeAsync();
        Port = Loopback.FreePort();
        await StartAsync();
    }

    /// <summary>
    /// Stops the server with SIGTERM and starts it again on the same port and data dir. Pod processes its kubelet
    /// started keep running across the restart, as they outlive a real kubelet.
    /// </summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        _process?.Dispose();
        await StartAsync();
    }

    private async Task StartAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var start = new ProcessStartInfo(K3sLab.Lab.LabPaths.RuntimeExecutable) { RedirectStandardError = true, RedirectStandardOutput = true };
        string[] arguments = ["server", .. _kubelet ? Array.Empty<string>() : ["--disable-agent"], "--disable-kube-proxy", "--disable=coredns", .. ComponentFlags(), "--data-dir", DataDir, "--bind-address", "127.0.0.1", "--https-listen-port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--write-kubeconfig", Kubeconfig, "--node-name", "test-server", .. DatastoreOverride(), .. _extraArguments];
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await Loopback.AcceptsAsync(Port, timeout.Token))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"k3s server did not start listening on {Port} (exited: {_process.HasExited}):\n{Log}");
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>
    /// <c>K3SLAB_TEST_DATASTORE_ENDPOINT</c>, when set by hand, runs every test server on that datastore (e.g. an
    /// external etcd, with <c>K3SLAB_TEST_DATASTORE_CAFILE</c>/<c>_CERTFILE</c>/<c>_KEYFILE</c>), to exercise a
    /// backend under the API suite. The servers then share its keys, so run one class at a time. Unset, servers keep
    /// their own SQLite file; CI never sets it.
    /// </summary>
    private string[] DatastoreOverride()
    {
        if (Environment.GetEnvironmentVariable("K3SLAB_TEST_DATASTORE_ENDPOINT") is not { Length: > 0 } endpoint || _extraArguments.Contains("--datastore-endpoint"))
        {
            return [];
        }

        var args = new List<string> { "--datastore-endpoint", endpoint };
        foreach (var (variable, flag) in new[] { ("CAFILE", "--datastore-cafile"), ("CERTFILE", "--datastore-certfile"), ("KEYFILE", "--datastore-keyfile") })
        {
            if (Environment.GetEnvironmentVariable($"K3SLAB_TEST_DATASTORE_{variable}") is { Length: > 0 } file)
            {
                args.Add(flag);
                args.Add(file);
            }
        }

        return [.. args];
    }

    public async ValueTask DisposeAsync()
    {
        if (_kubelet && _process is { HasExited: false })
        {
            KillPodProcesses(_process.Id);
        }

        await StopAsync();
        _process?.Dispose();
        Root.Delete(recursive: true);
    }

    private async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Pod processes outlive their kubelet by design; a test server's are killed with their process groups.</summary>
    private static void KillPodProcesses(int serverPid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == serverPid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    using var kill = Process.Start("kill", ["-KILL", "--", "-" + Path.GetFileName(dir)]);
                    kill.WaitForExit();
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
