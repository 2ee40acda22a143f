using System.Diagnostics;

namespace K3sLab.Tests.Support;

/// <summary>The output of one kubectl run.</summary>
public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs the machine's real kubectl binaries: <c>kubectl.1.NN</c> beside the <c>kubectl</c> on PATH (this machine ships
/// 1.27 to 1.33), so each test can check the oldest and newest client the project supports.
/// </summary>
public static class Kubectl
{
    public static readonly string[] SupportedVersions = ["1.27", "1.33"];

    public static string PathFor(string version)
    {
        var onPath = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("kubectl is not on PATH");
        var versioned = Path.Combine(Path.GetDirectoryName(new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath)!, $"kubectl.{version}");
        return File.Exists(versioned) ? versioned : throw new InvalidOperationException($"{versioned} does not exist: this test needs kubectl {version}");
    }

    public static Task<KubectlResult> RunAsync(string version, string kubeconfig, CancellationToken ct, params string[] args) =>
        RunAsync(version, kubeconfig, new Dictionary<string, string>(), ct, args);

    /// <summary>Runs kubectl with extra environment variables, e.g. <c>KUBE_EDITOR</c> for <c>kubectl edit</c>.</summary>
    public static async Task<KubectlResult> RunAsync(string version, string kubeconfig, IReadOnlyDictionary<string, string> environment, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo(PathFor(version)) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add($"--kubeconfig={kubeconfig}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }
}
