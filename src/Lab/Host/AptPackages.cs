namespace K3sLab.Lab.Host;

/// <summary>
/// Installs Debian packages the lab needs on the host (docker.io, debootstrap) with apt-get, as root only.
/// Refreshes the package lists once when a first attempt fails, since a fresh machine may have none.
/// </summary>
internal static class AptPackages
{
    private static readonly Dictionary<string, string> NonInteractive = new() { ["DEBIAN_FRONTEND"] = "noninteractive" };

    // One install at a time in this process: test fixtures that start together each ensure Docker, and the second
    // apt-get would fail on the dpkg lock the first one holds.
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    /// <summary>Installs <paramref name="packages"/> unless <paramref name="probe"/> is already on PATH.</summary>
    /// <returns>The probe's full path after the install.</returns>
    /// <exception cref="LabSetupException">Not root, no apt-get, or apt failed; the message says what to install.</exception>
    public static async Task<string> EnsureAsync(string probe, IReadOnlyList<string> packages, string purpose, CancellationToken cancellationToken)
    {
        if (HostCommand.Which(probe) is { } present)
        {
            return present;
        }

        var names = string.Join(' ', packages);
        if (!Environment.IsPrivilegedProcess)
        {
            throw new LabSetupException($"{purpose} needs {probe}, which is not installed: install it (on Debian: sudo apt-get install {names}) or run k3slab as root so it can install it.");
        }

        if (HostCommand.Which("apt-get") is null)
        {
            throw new LabSetupException($"{purpose} needs {probe}, and this host has no apt-get to install it: install the equivalent of Debian's {names} with your package manager.");
        }

        await OneAtATime.WaitAsync(cancellationToken);
        try
        {
            return await InstallAsync(probe, packages, names, cancellationToken);
        }
        finally
        {
            OneAtATime.Release();
        }
    }

    private static async Task<string> InstallAsync(string probe, IReadOnlyList<string> packages, string names, CancellationToken cancellationToken)
    {
        if (HostCommand.Which(probe) is { } installedMeanwhile)
        {
            return installedMeanwhile;
        }

        // Another process's apt (another k3slab, unattended-upgrades) is waited for rather than failed on.
        string[] install = ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "--no-install-recommends", .. packages];
        var result = await HostCommand.RunAsync("apt-get", install, cancellationToken, environment: NonInteractive);
        if (!result.Succeeded)
        {
            await HostCommand.RunAsync("apt-get", ["update", "-q"], cancellationToken, environment: NonInteractive);
            result = await HostCommand.RunAsync("apt-get", install, cancellationToken, environment: NonInteractive);
        }

        if (!result.Succeeded || HostCommand.Which(probe) is not { } installed)
        {
            throw new LabSetupException($"Installing {names} with apt-get failed (exit {result.ExitCode}): fix apt (try 'apt-get update && apt-get install {names}') and run again. apt said:\n{result.Tail()}");
        }

        return installed;
    }
}
