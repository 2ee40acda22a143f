using System.Diagnostics;
using K3sLab.Lab;
using K3sLab.Lab.Images;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Tests.Support;

/// <summary>The published <c>k3s</c> executable (published first when stale), for tests that run it as users do.</summary>
public sealed class PublishedRuntime : IAsyncLifetime
{
    public string Executable => LabPaths.RuntimeExecutable;

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await new RuntimeArtifact(NullLogger.Instance).EnsurePublishedAsync(timeout.Token);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Runs k3s to completion (killing it after <paramref name="timeout"/>) and returns its exit code and combined output.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(Executable, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await stdout + await stderr);
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
