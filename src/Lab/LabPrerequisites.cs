using K3sLab.Lab.Engine;
using K3sLab.Lab.Host;
using K3sLab.Lab.Images;
using Microsoft.Extensions.Logging;

namespace K3sLab.Lab;

/// <summary>
/// Everything a lab cluster needs on this host, made ready in order: the published runtime, a Docker engine
/// (installed and started when missing), the base image and the node image. Each step reuses what is already
/// there, so a second call costs a fingerprint, a ping and two image look-ups.
/// </summary>
public static class LabPrerequisites
{
    /// <summary>Makes the node image ready and returns its reference (<c>k3slab/node:&lt;tag&gt;</c>).</summary>
    /// <exception cref="LabSetupException">A step failed; the message names the cause and the fix.</exception>
    public static async Task<string> EnsureNodeImageAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var runtimeHash = await new RuntimeArtifact(logger).EnsurePublishedAsync(cancellationToken);
        await new DockerEngine(logger).EnsureRunningAsync(cancellationToken);
        using var docker = DockerEngine.CreateClient();

        // Images are shared by every checkout on this host, so the lock is host-wide too.
        using var building = await HostLock.AcquireAsync("/var/tmp/k3slab/images.lock", cancellationToken);
        var recipe = BaseImageRecipe.Default;
        await new BaseImage(docker, logger).EnsureAsync(recipe, cancellationToken);
        return await new NodeImage(docker, logger).EnsureAsync(recipe, runtimeHash, cancellationToken);
    }

    /// <summary>
    /// Makes the datastore image ready (real etcd and PostgreSQL on the same debootstrapped base, no runtime) and
    /// returns its reference (<c>k3slab/datastore:&lt;recipe hash&gt;</c>). Docker must already run.
    /// </summary>
    /// <exception cref="LabSetupException">The image could not be built; the message names the cause and the fix.</exception>
    public static async Task<string> EnsureDatastoreImageAsync(ILogger logger, CancellationToken cancellationToken)
    {
        await new DockerEngine(logger).EnsureRunningAsync(cancellationToken);
        using var docker = DockerEngine.CreateClient();
        using var building = await HostLock.AcquireAsync("/var/tmp/k3slab/images.lock", cancellationToken);
        return await new BaseImage(docker, logger).EnsureAsync(BaseImageRecipe.Datastore, cancellationToken);
    }
}
