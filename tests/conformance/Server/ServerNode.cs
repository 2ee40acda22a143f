using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// One <c>k3s server</c> process of a multi-server test cluster. Each server has its own loopback address (its node
/// IP and bind address), so every one uses k3s's fixed ports (6443, 2379, 2380) as it would on its own machine.
/// Start it again after <see cref="KillAsync"/> or <see cref="StopAsync"/> to restart it from its data dir.
/// </summary>
internal sealed class ServerNode : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public ServerNode(string name, IPAddress address, string root)
    {
        Name = name;
        Address = address;
        // One folder per node, named by address too: two nodes may share a name (a duplicate-name join).
        var folder = Path.Combine(root, $"{name}-{address}");
        DataDir = Path.Combine(folder, "data");
        Kubeconfig = Path.Combine(folder, "k3s.yaml");
    }

    public string Name { get; }

    public IPAddress Address { get; }

    public string DataDir { get; }

    public string Kubeconfig { get; }

    public string Url => $"https://{Address}:6443";

    public string EtcdUrl => $"https://{Address}:2379";

    public string Token => File.ReadAllText(Path.Combine(DataDir, "server", "token")).Trim();

    public bool IsRunning => _process is { HasExited: false };

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

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

    /// <summary>etcdctl's TLS flags for this server's datastore client port.</summary>
    public string[] EtcdctlTls =>
    [
        $"--cacert={Path.Combine(DataDir, "server", "tls", "etcd", "server-ca.crt")}",
        $"--cert={Path.Combine(DataDir, "server", "tls", "etcd", "server-client.crt")}",
        $"--key={Path.Combine(DataDir, "server", "tls", "etcd", "server-client.key")}",
    ];

    /// <summary>Starts <c>k3s server</c> with the given flags after the per-node ones; does not wait.</summary>
    public void Start(params string[] flags)
    {
        var start = new ProcessStartInfo(K3sLab.Lab.LabPaths.RuntimeExecutable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("K3S_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        string[] args =
        [
            "server", "--disable-agent", "--data-dir", DataDir, "--node-name", Name,
            "--node-ip", Address.ToString(), "--bind-address", Address.ToString(), "--write-kubeconfig", Kubeconfig,
            .. flags,
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        lock (_log)
        {
            _log.AppendLine(CultureInfo.InvariantCulture, $"[harness] k3s {string.Join(' ', args)}");
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>Waits until the API port accepts connections; fails with the log if the process exits first.</summary>
    public async Task WaitListeningAsync(TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            using (var client = new TcpClient())
            {
                try
                {
                    await client.ConnectAsync(Address, 6443, ct);
                    return;
                }
                catch (SocketException)
                {
                }
            }

            if (!IsRunning || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{Name} is not listening on {Url} (exit code {ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none: still running"}):\n{Log}");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>Waits for the process to exit on its own (a refused start) and returns its exit code.</summary>
    public async Task<int> WaitExitAsync(TimeSpan within, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(within);
        try
        {
            await _process!.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"{Name} did not exit within {within.TotalSeconds:0} s:\n{Log}");
        }

        // Let the asynchronous readers drain the last lines.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            using (Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]))
            {
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await p.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
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
