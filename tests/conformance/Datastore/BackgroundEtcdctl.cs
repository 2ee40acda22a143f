using System.Diagnostics;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// An etcdctl that runs until the harness stops it (<c>etcdctl watch</c>). Output lines are collected as they arrive,
/// empty lines included (a watch prints an empty line for an empty value).
/// </summary>
internal sealed class BackgroundEtcdctl : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    public BackgroundEtcdctl(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>
    /// Waits until stdout has <paramref name="lines"/> lines (with 0, without a line count), the process exits, or
    /// <paramref name="timeout"/> passes;
    /// then stops the process and returns everything it printed (exit code null: the harness stopped it).
    /// </summary>
    public async Task<EtcdctlResult> CollectAsync(int lines, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while ((lines == 0 || Count(_stdout) < lines) && !_process.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        // A watch that ends by itself (a canceled watch) reports its exit code; one the harness stops reports none.
        var exitedByItself = _process.HasExited;
        await StopAsync();
        lock (_stdout)
        {
            lock (_stderr)
            {
                return new EtcdctlResult(
                    exitedByItself ? _process.ExitCode : null,
                    string.Concat(_stdout.Select(l => l + "\n")),
                    string.Concat(_stderr.Select(l => l + "\n")));
            }
        }
    }

    /// <summary>Waits until stdout has at least <paramref name="lines"/> lines; false when the process exits or <paramref name="timeout"/> passes first. The process keeps running.</summary>
    public async Task<bool> WaitForLinesAsync(int lines, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Count(_stdout) < lines && !_process.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        return Count(_stdout) >= lines;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        // Also drains the asynchronous readers, so the lines are complete.
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    private static int Count(List<string> lines)
    {
        lock (lines)
        {
            return lines.Count;
        }
    }

    private static void Append(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }
}
