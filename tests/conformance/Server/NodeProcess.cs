using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// One <c>k3s</c> process of a multi-node test cluster (a <see cref="ServerNode"/> or an <see cref="AgentNode"/>):
/// its own loopback address and data dir, its output collected for failure messages, and start, stop (SIGTERM),
/// kill and wait-for-exit. Start it again after a stop or kill to restart it from its data dir.
/// </summary>
internal abstract class NodeProcess : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    protected NodeProcess(string name, IPAddress address, string root)
    {
        Name = name;
        Address = address;
        // One folder per node, named by address too: two nodes may share a name (a duplicate-name join).
        Folder = Path.Combine(root, $"{name}-{address}");
        DataDir = Path.Combine(Folder, "data");
    }

    public string Name { get; }

    public IPAddress Address { get; }

    public string DataDir { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The running process's id (null before the first start or after an exit).</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>The working directory of the next start; null inherits the test's.</summary>
    public string? WorkingDirectory { get; set; }

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

    protected string Folder { get; }

    /// <summary>Starts <c>k3s</c> with <paramref name="args"/> and no inherited <c>K3S_*</c> variables; does not wait.</summary>
    protected void StartProcess(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(K3sLab.Lab.LabPaths.RuntimeExecutable) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (WorkingDirectory is not null)
        {
            start.WorkingDirectory = WorkingDirectory;
        }

        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("K3S_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        lock (_log)
        {
            _log.AppendLine(CultureInfo.InvariantCulture, $"[harness] k3s {string.Join(' ', start.ArgumentList)}");
        }

        var started = DateTime.UtcNow;
        _process = Process.Start(start)!;
        var process = _process;
        process.EnableRaisingEvents = true;
        // A process that dies silently (a crash before its first log line) still explains itself in failure messages.
        process.Exited += (_, _) => Append($"[harness] pid {process.Id} exited with code {process.ExitCode} after {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        Append($"[harness] started pid {process.Id}");
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
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
