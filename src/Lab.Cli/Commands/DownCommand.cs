using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab down [--name c]</c>: removes a cluster's node containers (and their volumes), its network and its kubeconfig
/// folder, and its context from the user's kubeconfig if <c>kubeconfig --merge</c> put it there (as <c>kind delete</c>).
/// </summary>
internal static class DownCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster to delete", DefaultValueFactory = _ => "k3slab" };
        var output = OutputFormat.CreateOption();
        var command = new Command("down", "Delete a lab cluster: its node containers, their volumes, and its network");
        command.Options.Add(name);
        command.Options.Add(output);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cluster = parse.GetValue(name)!;
            LabNaming.ValidateClusterName(cluster);
            using var docker = DockerEngine.CreateClient();
            var provider = new DockerProvider(docker);
            var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
            await provider.DeleteClusterAsync(cluster, cancellationToken);
            var folder = Path.GetDirectoryName(ClusterKubeconfig.PathFor(cluster))!;
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            var merged = ClusterKubeconfig.UserPath();
            var removedContext = await ClusterKubeconfig.RemoveFromAsync(cluster, merged, cancellationToken);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                var result = new DownResult(cluster, [.. nodes.Select(n => n.Name)], LabNaming.NetworkName(cluster), removedContext ? merged : null);
                Console.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.DownResult));
                return 0;
            }

            if (removedContext)
            {
                Console.WriteLine($"removed context k3slab-{cluster} from {merged}");
            }

            Console.WriteLine(nodes.Count == 0
                ? $"cluster '{cluster}' had no nodes; its network (if any) is removed"
                : $"deleted cluster '{cluster}': {nodes.Count} node(s) and network {LabNaming.NetworkName(cluster)}");
            return 0;
        });
        return command;
    }
}
