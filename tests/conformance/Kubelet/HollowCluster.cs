using System.Diagnostics;
using System.Globalization;
using System.Text;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// A <c>k3s server</c> with its scheduler and controllers (no kubelet of its own) and one <c>k3s hollow-nodes</c>
/// process joining <see cref="Count"/> hollow nodes to it, shared by one test class. Disposal stops the hollow
/// process with SIGTERM (killed if it lingers), then the server.
/// </summary>
public sealed class HollowCluster : IAsyncLifetime
{
    public const int Count = 200;

    private readonly StringBuilder _log = new();
    private Process? _process;

    public K3sServerProcess Server { get; } = K3sServerProcess.WithControllers(kubelet: false);

    /// <summary>What the hollow process logged so far, for failure messages.</summary>
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
        await Server.InitializeAsync();
        var token = (await File.ReadAllTextAsync(Path.Combine(Server.DataDir, "server", "token"))).Trim();
        var start = new ProcessStartInfo(K3sLab.Lab.LabPaths.RuntimeExecutable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in (string[])["hollow-nodes", "--server", Server.Url, "--token", token, "--count", Count.ToString(CultureInfo.InvariantCulture), "--data-dir", Path.Combine(Server.Root.FullName, "hollow")])
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
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

        _process?.Dispose();
        await Server.DisposeAsync();
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
