using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Images;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab build</c>: publishes the runtime to artifacts/bin/k3s (NativeAOT), makes sure a Docker engine runs,
/// and builds (or reuses) the base and node images; with <c>--datastore-image</c> also the image of the external etcd and
/// PostgreSQL nodes. Prints the image references.
/// </summary>
internal static class BuildCommand
{
    public static Command Create()
    {
        var output = OutputFormat.CreateOption();
        var datastore = new Option<bool>("--datastore-image") { Description = "Also build the image of the external datastore nodes (etcd, PostgreSQL)" };
        var command = new Command("build", "Publish the k3s runtime to artifacts/bin/k3s and build the node image (installs and starts Docker when missing)");
        command.Options.Add(output);
        command.Options.Add(datastore);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var logger = new ConsoleProgressLogger();
            var started = TimeProvider.System.GetTimestamp();
            var image = await LabPrerequisites.EnsureNodeImageAsync(logger, cancellationToken);
            var datastoreImage = parse.GetValue(datastore) ? await LabPrerequisites.EnsureDatastoreImageAsync(logger, cancellationToken) : null;
            var elapsed = TimeProvider.System.GetElapsedTime(started);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                var result = new BuildResult(image, BaseImageRecipe.Default.Image, LabPaths.RuntimeExecutable, DockerEngine.Endpoint.ToString(), elapsed.TotalSeconds, datastoreImage);
                Console.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.BuildResult));
            }
            else
            {
                Console.WriteLine($"node image {image}{(datastoreImage is null ? "" : $" and datastore image {datastoreImage}")} ready in {elapsed.TotalSeconds:0.0} s");
            }

            return 0;
        });
        return command;
    }
}

/// <summary>The machine-readable result of <c>k3slab build -o json</c>.</summary>
internal sealed record BuildResult(string NodeImage, string BaseImage, string Runtime, string DockerEndpoint, double Seconds, string? DatastoreImage);
