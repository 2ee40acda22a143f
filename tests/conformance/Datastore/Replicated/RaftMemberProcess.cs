using System.Diagnostics;
using System.Globalization;
using System.Text;
using K3sLab.Lab.Host;

namespace K3sLab.ConformanceTests.Datastore.Replicated;

/// <summary>
/// One <c>k3s datastore member</c> process from the published runtime on its own loopback ports and data dir, with
/// the cluster's TLS files. Start it again after <see cref="Kill"/> to restart it from its data.
/// </summary>
internal sealed class RaftMemberProcess : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly ClusterCertificates _certs;
    private Process? _process;

    public RaftMemberProcess(string name, string root, ClusterCertificates certs)
    {
        Name = name;
        DataDir = Path.Combine(root, name);
        _certs = certs;
        ClientPort = Loopback.FreePort();
        PeerPort = Loopback.FreePort();
    }

    public string Name { get; }

    public string DataDir { get; }

    public int ClientPort { get; }

    public int PeerPort { get; }

    public string ClientUrl => $"https://127.0.0.1:{ClientPort.ToString(CultureInfo.InvariantCulture)}";

    public string PeerUrl => $"https://127.0.0.1:{PeerPort.ToString(CultureInfo.InvariantCulture)}";

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

    /// <summary>Starts the member (first with --cluster-init or --join; a restart ignores both) and waits for its client port.</summary>
    public async Task StartAsync(IReadOnlyList<string> mode, CancellationToken ct, bool waitForPort = true)
    {
        var start = new ProcessStartInfo(K3sLab.Lab.LabPaths.RuntimeExecutable) { RedirectStandardError = true, RedirectStandardOutput = true };
        string[] args =
        [
            "datastore", "member", "--name", Name, "--data-dir", DataDir,
            "--listen-client-urls", ClientUrl, "--listen-peer-urls", PeerUrl,
            "--cert-file", _certs.ServerCert, "--key-file", _certs.ServerKey, "--trusted-ca-file", _certs.Ca,
            "--peer-cert-file", _certs.PeerCert, "--peer-key-file", _certs.PeerKey, "--peer-trusted-ca-file", _certs.Ca,
            .. mode,
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        if (!waitForPort)
        {
            return;
        }

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await Loopback.AcceptsAsync(ClientPort, ct))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"member {Name} did not start listening on {ClientPort} (exited: {_process.HasExited}):\n{Log}");
            }

            await Task.Delay(50, ct);
        }
    }

    /// <summary>Waits for the process to exit on its own (a refused start) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>kill -9.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine($"[{Name}] {line}");
        }
    }
}
