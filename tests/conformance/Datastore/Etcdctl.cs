using System.Diagnostics;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>What one etcdctl run printed; <see cref="ExitCode"/> is null when the harness stopped it (a watch).</summary>
internal sealed record EtcdctlResult(int? ExitCode, string Stdout, string Stderr);

/// <summary>
/// The machine's real etcdctl 3.4 (<c>/usr/bin/etcdctl</c>), speaking the v3 API to one endpoint. The environment is
/// set explicitly so that no <c>ETCDCTL_*</c> variable of the caller changes what a step means.
/// </summary>
internal static class Etcdctl
{
    public const string Executable = "/usr/bin/etcdctl";

    /// <summary>Runs etcdctl to completion, feeding <paramref name="stdin"/> when given; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<EtcdctlResult> RunAsync(string clientUrl, IReadOnlyList<string> args, string? stdin, TimeSpan timeout, CancellationToken ct)
    {
        using var process = Process.Start(StartInfo(clientUrl, args, redirectStdin: true))!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            // etcdctl reads txn requests and big values from stdin; an empty, closed stdin is "no input".
            await process.StandardInput.WriteAsync(stdin.AsMemory(), ct);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // etcdctl exited before reading everything (a usage error); its output says why.
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return new EtcdctlResult(null, await stdout, await stderr + $"\n[harness: etcdctl killed after {timeout.TotalSeconds:0} s]");
        }

        return new EtcdctlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts etcdctl in the background (a watch), with its output read line by line into the returned collector.</summary>
    public static BackgroundEtcdctl Start(string clientUrl, IReadOnlyList<string> args) =>
        new(Process.Start(StartInfo(clientUrl, args, redirectStdin: false))!);

    private static ProcessStartInfo StartInfo(string clientUrl, IReadOnlyList<string> args, bool redirectStdin)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
        };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        start.Environment["ETCDCTL_API"] = "3";
        start.Environment["ETCDCTL_ENDPOINTS"] = clientUrl;
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
