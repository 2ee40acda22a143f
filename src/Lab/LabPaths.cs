namespace K3sLab.Lab;

/// <summary>
/// Where the lab finds its source tree and build outputs. The root is <c>K3SLAB_ROOT</c> when set, else the
/// nearest folder above the current directory or this assembly that holds <c>K3sLab.sln</c>.
/// </summary>
public static class LabPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The repository root.</summary>
    public static string Root => RootPath.Value;

    /// <summary><c>artifacts/</c>: build outputs that are not checked in.</summary>
    public static string Artifacts => Path.Combine(Root, "artifacts");

    /// <summary><c>artifacts/bin</c>: the published runtime (<c>k3s</c> and its native libraries).</summary>
    public static string RuntimeBin => Path.Combine(Artifacts, "bin");

    /// <summary>The published <c>k3s</c> executable.</summary>
    public static string RuntimeExecutable => Path.Combine(RuntimeBin, "k3s");

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("K3SLAB_ROOT") is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "K3sLab.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new LabSetupException("Cannot find the K3sLab source tree (no K3sLab.sln above the current directory): run k3slab from the repository, or set K3SLAB_ROOT.");
    }
}
