using System.Reflection;

namespace K3sLab.K3s.Cli;

/// <summary>
/// The runtime's version in k3s's shape: <c>v1.33.5+k3slab.1</c>, plus the git commit it was built from.
/// Both are stamped into the assembly at build time (see K3sLab.K3s.csproj and Directory.Build.targets).
/// </summary>
internal static class RuntimeVersion
{
    public static string KubernetesVersion { get; } = Metadata("KubernetesVersion") ?? "v0.0.0";

    public static string Release { get; } = Metadata("K3sLabRelease") ?? "0";

    public static string Commit { get; } = Metadata("K3sLabCommit") ?? "00000000";

    /// <summary>The full version string, e.g. <c>v1.33.5+k3slab.1</c>.</summary>
    public static string Version => $"{KubernetesVersion}+k3slab.{Release}";

    /// <summary>The two lines <c>k3s --version</c> prints, as k3s prints its version and its Go version.</summary>
    public static string Banner =>
        $"k3s version {Version} ({Commit})\ndotnet version {Environment.Version}";

    private static string? Metadata(string key) =>
        typeof(RuntimeVersion).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value;
}
