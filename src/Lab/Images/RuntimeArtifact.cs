using System.Security.Cryptography;
using System.Text;
using K3sLab.Lab.Host;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Images;

/// <summary>
/// The published runtime: <c>src/Runtime/K3s</c> compiled NativeAOT into <c>artifacts/bin/k3s</c> (plus the native
/// SQLite library beside it). Publishing is skipped when the fingerprint of its inputs (runtime sources, central build
/// files and the git commit stamped into <c>k3s --version</c>) matches the one recorded by the last publish.
/// </summary>
public sealed partial class RuntimeArtifact
{
    private static readonly string[] InputRoots = ["src/Runtime"];
    private static readonly string[] InputFiles = ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", ".editorconfig"];
    private static readonly string[] InputExtensions = [".cs", ".csproj", ".proto", ".json", ".props", ".targets"];

    private readonly ILogger _logger;

    public RuntimeArtifact(ILogger logger) => _logger = logger;

    private static string StampPath => Path.Combine(LabPaths.Artifacts, "publish", "k3s.fingerprint");

    /// <summary>Publishes the runtime unless it is up to date; returns the content hash of the published files.</summary>
    public async Task<string> EnsurePublishedAsync(CancellationToken cancellationToken)
    {
        // Test fixtures and the CLI may ask at the same moment; only one may run dotnet publish into artifacts/.
        using var publishing = await HostLock.AcquireAsync(Path.Combine(LabPaths.Artifacts, "publish", ".lock"), cancellationToken);
        var fingerprint = await InputFingerprintAsync(cancellationToken);
        if (File.Exists(LabPaths.RuntimeExecutable) && File.Exists(StampPath) && await File.ReadAllTextAsync(StampPath, cancellationToken) == fingerprint)
        {
            var hash = ContentHash();
            Log.UpToDate(_logger, LabPaths.RuntimeExecutable, hash);
            return hash;
        }

        Log.Publishing(_logger);
        var publishDir = Path.Combine(LabPaths.Artifacts, "publish", "k3s");
        var result = await HostCommand.RunAsync(
            "dotnet",
            ["publish", "src/Runtime/K3s/K3sLab.K3s.csproj", "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", publishDir, "--nologo", "-v", "q"],
            cancellationToken,
            workingDirectory: LabPaths.Root);
        if (!result.Succeeded)
        {
            throw new LabSetupException($"Publishing the k3s runtime failed (dotnet publish exit {result.ExitCode}): fix the build error below and run again.\n{result.Tail(20)}");
        }

        Directory.CreateDirectory(LabPaths.RuntimeBin);
        foreach (var file in Directory.EnumerateFiles(LabPaths.RuntimeBin))
        {
            File.Delete(file);
        }

        foreach (var file in Directory.EnumerateFiles(publishDir).Where(IsShipped))
        {
            File.Copy(file, Path.Combine(LabPaths.RuntimeBin, Path.GetFileName(file)), overwrite: true);
        }

        // A publish cut short (a killed compiler, a full disk) can leave a truncated executable behind a successful
        // exit; only one that runs may be stamped as current, or every later build would ship it.
        var check = await HostCommand.RunAsync(LabPaths.RuntimeExecutable, ["--version"], cancellationToken, workingDirectory: LabPaths.Root);
        if (!check.Succeeded)
        {
            File.Delete(LabPaths.RuntimeExecutable);
            throw new LabSetupException($"The published runtime does not run ('k3s --version' exit {check.ExitCode}); it was removed, so the next build publishes again.\n{check.Tail(10)}");
        }

        await File.WriteAllTextAsync(StampPath, fingerprint, cancellationToken);
        var published = ContentHash();
        Log.Published(_logger, LabPaths.RuntimeExecutable, new FileInfo(LabPaths.RuntimeExecutable).Length / 1024 / 1024.0, published);
        return published;
    }

    /// <summary>The files that make up the runtime in a node image: the executable and its native libraries.</summary>
    public static IReadOnlyList<string> ShippedFiles() =>
        [.. Directory.EnumerateFiles(LabPaths.RuntimeBin).Where(IsShipped).Order(StringComparer.Ordinal)];

    /// <summary>A short hash of the shipped files' names and bytes: it names the node image.</summary>
    public static string ContentHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in ShippedFiles())
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\0"));
            using var stream = File.OpenRead(file);
            sha.AppendData(SHA256.HashData(stream));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset())[..12];
    }

    private static bool IsShipped(string path)
    {
        var name = Path.GetFileName(path);
        return name == "k3s" || name.EndsWith(".so", StringComparison.Ordinal);
    }

    private static async Task<string> InputFingerprintAsync(CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var head = await HostCommand.RunAsync("git", ["rev-parse", "HEAD"], cancellationToken, workingDirectory: LabPaths.Root);
        sha.AppendData(Encoding.UTF8.GetBytes(head.StandardOutput.Trim() + "\n"));

        var files = InputRoots
            .SelectMany(root => Directory.EnumerateFiles(Path.Combine(LabPaths.Root, root), "*", SearchOption.AllDirectories))
            .Where(f => InputExtensions.Contains(Path.GetExtension(f)) && !IsBuildOutput(f))
            .Concat(InputFiles.Select(f => Path.Combine(LabPaths.Root, f)).Where(File.Exists))
            .Select(f => Path.GetRelativePath(LabPaths.Root, f))
            .Order(StringComparer.Ordinal);
        foreach (var relative in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(relative + "\0"));
            sha.AppendData(await File.ReadAllBytesAsync(Path.Combine(LabPaths.Root, relative), cancellationToken));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
}
