using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary><c>k3slab list</c>: every lab cluster on this engine and its nodes, read from container labels.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var output = OutputFormat.CreateOption();
        var command = new Command("list", "List lab clusters and their nodes (from Docker container labels)");
        command.Options.Add(output);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var docker = DockerEngine.CreateClient();
            var nodes = await new DockerProvider(docker).ListNodesAsync(cluster: null, cancellationToken);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                var rows = nodes.Select(n => new NodeRow(n.Cluster, n.Name, LabNaming.RoleWord(n.Role), n.Address.ToString(), n.State)).ToList();
                Console.WriteLine(JsonSerializer.Serialize(rows, CliJsonContext.Default.ListNodeRow));
                return 0;
            }

            if (nodes.Count == 0)
            {
                Console.WriteLine("no lab clusters");
                return 0;
            }

            Console.WriteLine($"{"CLUSTER",-16} {"NODE",-34} {"ROLE",-8} {"ADDRESS",-15} STATE");
            foreach (var n in nodes)
            {
                Console.WriteLine($"{n.Cluster,-16} {n.Name,-34} {LabNaming.RoleWord(n.Role),-8} {n.Address,-15} {n.State}");
            }

            return 0;
        });
        return command;
    }
}

/// <summary>One node in <c>k3slab list -o json</c>.</summary>
internal sealed record NodeRow(string Cluster, string Name, string Role, string Address, string State);
