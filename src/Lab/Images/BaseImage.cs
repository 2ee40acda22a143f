using Docker.DotNet;
using Docker.DotNet.Models;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Host;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Images;

/// <summary>
/// Builds a debootstrapped image (the node base image, or the datastore image) without any registry: debootstrap a minimal Debian into a scratch folder, tar it,
/// <c>docker import</c> it under a provisional tag, check the tools in it run, and only then tag it
/// <see cref="BaseImageRecipe.Image"/>. An image already tagged with the recipe's hash is reused as it is.
/// </summary>
public sealed partial class BaseImage
{
    private const string ScratchRoot = "/var/tmp/k3slab";

    private readonly IDockerClient _docker;
    private readonly ILogger _logger;

    public BaseImage(IDockerClient docker, ILogger logger)
    {
        _docker = docker;
        _logger = logger;
    }

    /// <summary>Returns the base image reference for <paramref name="recipe"/>, building it if it is not cached.</summary>
    public async Task<string> EnsureAsync(BaseImageRecipe recipe, CancellationToken cancellationToken)
    {
        if (await ImageExistsAsync(_docker, recipe.Image, cancellationToken))
        {
            Log.Reused(_logger, recipe.Image, recipe.Canonical);
            return recipe.Image;
        }

        if (!Environment.IsPrivilegedProcess)
        {
            throw new LabSetupException($"Building the node base image {recipe.Image} needs root (debootstrap creates device files and sets owners): run k3slab as root once to build it.");
        }

        await AptPackages.EnsureAsync("debootstrap", ["debootstrap"], "Building the node base image", cancellationToken);
        var mirror = DebianMirror.Find()
            ?? throw new LabSetupException("Building the node base image needs a Debian mirror, and none was found in /etc/apt: set K3SLAB_DEBIAN_MIRROR to a Debian archive URL.");

        var scratch = Path.Combine(ScratchRoot, $"base-{recipe.Hash}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var rootfs = Path.Combine(scratch, "rootfs");
            await BootstrapAsync(recipe, mirror, rootfs, cancellationToken);
            var tarball = Path.Combine(scratch, "rootfs.tar");
            await PackAsync(rootfs, tarball, cancellationToken);
            await ImportVerifiedAsync(recipe, tarball, cancellationToken);
        }
        finally
        {
            await HostCommand.RunAsync("rm", ["-rf", "--one-file-system", scratch], CancellationToken.None);
        }

        return recipe.Image;
    }

    internal static async Task<bool> ImageExistsAsync(IDockerClient docker, string image, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    private async Task BootstrapAsync(BaseImageRecipe recipe, string mirror, string rootfs, CancellationToken cancellationToken)
    {
        Log.Bootstrapping(_logger, recipe.Canonical);
        var result = await HostCommand.RunAsync(
            "debootstrap",
            [$"--variant={recipe.Variant}", $"--include={string.Join(',', recipe.Packages)}", "--components=main", recipe.Suite, rootfs, mirror],
            cancellationToken);
        if (!result.Succeeded)
        {
            var log = Path.Combine(rootfs, "debootstrap", "debootstrap.log");
            var detail = File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(10)) : result.Tail(10);
            throw new LabSetupException($"debootstrap of Debian {recipe.Suite} from {mirror} failed (exit {result.ExitCode}): check that the mirror is reachable (or set K3SLAB_DEBIAN_MIRROR) and run again; no image was tagged.\n{detail}");
        }

        // Package caches and lists are dead weight in every node.
        foreach (var dir in new[] { "var/cache/apt/archives", "var/lib/apt/lists" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(rootfs, dir), "*", SearchOption.TopDirectoryOnly))
            {
                File.Delete(file);
            }
        }

        await File.WriteAllTextAsync(Path.Combine(rootfs, "etc", "k3slab-base"), recipe.Canonical + "\n", cancellationToken);
    }

    private static async Task PackAsync(string rootfs, string tarball, CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync("tar", ["--numeric-owner", "--xattrs", "-C", rootfs, "-cf", tarball, "."], cancellationToken);
        if (!result.Succeeded)
        {
            throw new LabSetupException($"Packing the base root file system failed (tar exit {result.ExitCode}); no image was tagged.\n{result.Tail()}");
        }
    }

    private async Task ImportVerifiedAsync(BaseImageRecipe recipe, string tarball, CancellationToken cancellationToken)
    {
        var provisional = $"{recipe.Hash}-unverified";
        await using (var stream = File.OpenRead(tarball))
        {
            await _docker.Images.CreateImageAsync(
                new ImagesCreateParameters
                {
                    FromSrc = "-",
                    Repo = recipe.Repository,
                    Tag = provisional,
                    Changes =
                    [
                        $"LABEL k3slab.base.recipe=\"{recipe.Canonical}\"",
                        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "CMD [\"/bin/bash\"]",
                    ],
                },
                stream,
                authConfig: null,
                progress: new Progress<JSONMessage>(),
                cancellationToken);
        }

        var candidate = $"{recipe.Repository}:{provisional}";
        try
        {
            var check = await OneShotContainer.RunAsync(_docker, candidate, ["/bin/sh", "-c", recipe.Check], cancellationToken);
            if (check.ExitCode != 0)
            {
                throw new LabSetupException($"The freshly imported base image failed its check (exit {check.ExitCode}), so it was not tagged: {check.Output.Trim()}");
            }

            await _docker.Images.TagImageAsync(candidate, new ImageTagParameters { RepositoryName = recipe.Repository, Tag = recipe.Hash }, cancellationToken);
            Log.Built(_logger, recipe.Image, new FileInfo(tarball).Length / 1024 / 1024.0);
        }
        finally
        {
            await _docker.Images.DeleteImageAsync(candidate, new ImageDeleteParameters(), CancellationToken.None);
        }
    }
}
