using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace K3sLab.Perf.Scale;

/// <summary>
/// One <c>k3s hollow-nodes</c> process joining <c>count</c> hollow nodes named <c>&lt;prefix&gt;0…</c> to a server,
/// its data in a temp folder. <see cref="JoinedAsync"/> completes when it logs that every node joined (after its
/// post-join compacting collection). Stopped with SIGTERM (killed if it lingers) and its folder deleted on dispose.
/// </summary>
internal sealed class HollowProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("k3slab-perf-hollow-");
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HollowProcess(string k3s, Uri server, string token, int count, string prefix)
    {
        var start = new ProcessStartInfo(k3s) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["hollow-nodes", "--server", server.ToString().TrimEnd('/'), "--token", token, "--count", count.ToString(CultureInfo.InvariantCulture), "--name-prefix", prefix, "--data-dir", _root.FullName])
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;

    /// <summary>Completes once the process logged that all its nodes joined; fails if it exits first.</summary>
    public Task JoinedAsync(CancellationToken ct) => _joined.Task.WaitAsync(ct);

    public ProcessStats Stats() => ProcessStats.Read(_process.Id);

    /// <summary>The tail of what it logged, to explain a failure.</summary>
    public string Log()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
        _root.Delete(recursive: true);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            if (_process.HasExited)
            {
                _joined.TrySetException(new InvalidOperationException($"k3s hollow-nodes exited with code {_process.ExitCode}:\n{Log()}"));
            }

            return;
        }

        if (line.Contains("hollow nodes joined in", StringComparison.Ordinal))
        {
            _joined.TrySetResult();
        }

        lock (_log)
        {
            // Keep the tail only: enough to explain a failure, bounded under a long run.
            if (_log.Length > 64 * 1024)
            {
                _log.Remove(0, _log.Length - (32 * 1024));
            }

            _log.AppendLine(line);
        }
    }
}
