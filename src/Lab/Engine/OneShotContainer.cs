using Docker.DotNet;
using Docker.DotNet.Models;

namespace K3sLab.Lab.Engine;

/// <summary>The exit code and combined output of a container that ran a command to completion.</summary>
public sealed record OneShotResult(long ExitCode, string Output);

/// <summary>
/// Runs one command in a fresh container from an image, waits for it to exit, collects its output and removes it:
/// the engine-side equivalent of <c>docker run --rm image cmd</c>, used to verify images before they are tagged.
/// </summary>
public static class OneShotContainer
{
    public static async Task<OneShotResult> RunAsync(IDockerClient client, string image, IList<string> command, CancellationToken cancellationToken)
    {
        var created = await client.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Image = image,
                Cmd = command,
                Entrypoint = [],
                Labels = new Dictionary<string, string> { ["k3slab.role"] = "probe" },
                HostConfig = new HostConfig { NetworkMode = "none" },
            },
            cancellationToken);
        try
        {
            await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            var exit = await client.Containers.WaitContainerAsync(created.ID, cancellationToken);
            using var logs = await client.Containers.GetContainerLogsAsync(
                created.ID,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true },
                cancellationToken);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(cancellationToken);
            return new OneShotResult(exit.StatusCode, stdout + stderr);
        }
        finally
        {
            await client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
    }
}
