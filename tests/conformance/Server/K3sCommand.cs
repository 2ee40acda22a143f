using System.Diagnostics;

namespace K3sLab.ConformanceTests.Server;

/// <summary>A one-shot <c>k3s</c> command (e.g. <c>etcd-snapshot save</c>) from the published runtime, run to completion.</summary>
internal static class K3sCommand
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(TimeSpan timeout, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo(K3sLab.Lab.LabPaths.RuntimeExecutable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("K3S_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"k3s {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s:\n{await stderr}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
