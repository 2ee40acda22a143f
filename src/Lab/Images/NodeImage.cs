using System.Formats.Tar;
using Docker.DotNet;
using Docker.DotNet.Models;
using K3sLab.Lab.Engine;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab.Images;

/// <summary>
/// The node image: the base image plus the published runtime in <c>/usr/local/lib/k3s</c> (linked as
/// <c>/usr/local/bin/k3s</c>). It is tagged <c>k3slab/node:&lt;runtime hash&gt;-&lt;base hash&gt;</c>, so it is rebuilt only
/// when the runtime or the base changed, and it is tagged only after <c>k3s --version</c> ran in it. The newest build
/// is also tagged <c>k3slab/node:latest</c>.
/// </summary>
public sealed partial class NodeImage
{
    /// <summary>The image repository.</summary>
    public const string Repository = "k3slab/node";

    private const string InstallDir = "usr/local/lib/k3s";

    private readonly IDockerClient _docker;
    private readonly ILogger _logger;

    public NodeImage(IDockerClient docker, ILogger logger)
    {
        _docker = docker;
        _logger = logger;
    }

    /// <summary>The tag for a runtime content hash on a base recipe.</summary>
    public static string TagFor(string runtimeHash, BaseImageRecipe recipe) => $"{runtimeHash}-{recipe.Hash[..8]}";

    /// <summary>Returns the node image reference, building it from <paramref name="recipe"/>'s base image and the files in artifacts/bin when missing.</summary>
    public async Task<string> EnsureAsync(BaseImageRecipe recipe, string runtimeHash, CancellationToken cancellationToken)
    {
        var tag = TagFor(runtimeHash, recipe);
        var image = $"{Repository}:{tag}";
        if (await BaseImage.ImageExistsAsync(_docker, image, cancellationToken))
        {
            Log.Reused(_logger, image);
        }
        else
        {
            await BuildAsync(recipe, runtimeHash, tag, cancellationToken);
            await PruneAsync(keep: image, cancellationToken);
        }

        await _docker.Images.TagImageAsync(image, new ImageTagParameters { RepositoryName = Repository, Tag = "latest" }, cancellationToken);
        return image;
    }

    private async Task BuildAsync(BaseImageRecipe recipe, string runtimeHash, string tag, CancellationToken cancellationToken)
    {
        var provisional = $"{tag}-unverified";
        var container = await _docker.Containers.CreateContainerAsync(
            new CreateContainerParameters { Image = recipe.Image, Cmd = ["true"], Labels = new Dictionary<string, string> { ["k3slab.role"] = "image-build" } },
            cancellationToken);
        try
        {
            using var archive = RuntimeArchive();
            await _docker.Containers.ExtractArchiveToContainerAsync(container.ID, new CopyToContainerParameters { Path = "/" }, archive, cancellationToken);
            await _docker.Images.CommitContainerChangesAsync(
                new CommitContainerChangesParameters
                {
                    ContainerID = container.ID,
                    RepositoryName = Repository,
                    Tag = provisional,
                    Comment = $"k3s runtime {runtimeHash} on {recipe.Image}",
                    Cmd = ["/bin/bash"],
                    Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    Labels = new Dictionary<string, string>
                    {
                        ["k3slab.runtime.hash"] = runtimeHash,
                        ["k3slab.base.image"] = recipe.Image,
                        ["k3slab.base.recipe"] = recipe.Canonical,
                    },
                },
                cancellationToken);
        }
        finally
        {
            await _docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }

        var candidate = $"{Repository}:{provisional}";
        try
        {
            var check = await OneShotContainer.RunAsync(_docker, candidate, ["k3s", "--version"], cancellationToken);
            if (check.ExitCode != 0 || !check.Output.StartsWith("k3s version ", StringComparison.Ordinal))
            {
                throw new LabSetupException($"The new node image failed its check ('k3s --version' exited {check.ExitCode}), so it was not tagged: {check.Output.Trim()}");
            }

            await _docker.Images.TagImageAsync(candidate, new ImageTagParameters { RepositoryName = Repository, Tag = tag }, cancellationToken);
            Log.Built(_logger, $"{Repository}:{tag}", check.Output.Split('\n')[0]);
        }
        finally
        {
            await _docker.Images.DeleteImageAsync(candidate, new ImageDeleteParameters(), CancellationToken.None);
        }
    }

    /// <summary>
    /// Removes older node images that no container uses, keeping the newest few, so that rebuilding the runtime
    /// many times does not fill the disk. An image still used by a container is left alone.
    /// </summary>
    private async Task PruneAsync(string keep, CancellationToken cancellationToken)
    {
        const int keepNewest = 3;
        var images = await _docker.Images.ListImagesAsync(
            new ImagesListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["reference"] = new Dictionary<string, bool> { [$"{Repository}:*"] = true } } },
            cancellationToken);
        var stale = images
            .Where(i => !i.RepoTags.Contains(keep) && !i.RepoTags.Contains($"{Repository}:latest"))
            .OrderByDescending(i => i.Created)
            .Skip(keepNewest - 1)
            .SelectMany(i => i.RepoTags);
        foreach (var reference in stale)
        {
            try
            {
                await _docker.Images.DeleteImageAsync(reference, new ImageDeleteParameters(), cancellationToken);
                Log.Pruned(_logger, reference);
            }
            catch (DockerApiException)
            {
                // Docker refuses (409) to remove an image a container still uses, even a stopped one; that is the
                // protection we want. Pruning is best effort.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The client's request timeout: a daemon busy with other clusters can take longer than that to
                // answer a removal. The new image is built and tagged; pruning waits for the next build.
                Log.PruneTimedOut(_logger, reference);
                return;
            }
        }
    }

    /// <summary>A tar of the shipped runtime files under <see cref="InstallDir"/> plus the <c>/usr/local/bin/k3s</c> link.</summary>
    private static MemoryStream RuntimeArchive()
    {
        var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            var directoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, $"{InstallDir}/") { Mode = directoryMode });
            foreach (var file in RuntimeArtifact.ShippedFiles())
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, $"{InstallDir}/{Path.GetFileName(file)}")
                {
                    Mode = directoryMode,
                    DataStream = File.OpenRead(file),
                };
                tar.WriteEntry(entry);
                entry.DataStream.Dispose();
            }

            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "usr/local/bin/k3s") { LinkName = $"/{InstallDir}/k3s", Mode = directoryMode });
        }

        buffer.Position = 0;
        return buffer;
    }
}
