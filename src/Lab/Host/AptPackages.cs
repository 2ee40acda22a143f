namespace K3sLab.Lab.Host;

/// <summary>
/// Installs Debian packages the lab needs on the host (docker.io, debootstrap) with apt-get, as root only.
/// Refreshes the package lists once when a first attempt fails, since a fresh machine may have none.
/// </summary>
internal static class AptPackages
{
    private static readonly Dictionary<string, string> NonInteractive = new() { ["DEBIAN_FRONTEND"] = "noninteractive" };

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

        string[] install = ["install", "-y", "-q", "--no-install-recommends", .. packages];
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
