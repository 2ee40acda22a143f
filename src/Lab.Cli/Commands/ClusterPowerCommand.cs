using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab stop [--name c]</c> and <c>k3slab start [--name c]</c>: a whole cluster down and up again with its data,
/// in k3s's order (<see cref="ClusterLifecycle"/>): start waits until the API answers, every node reported Ready
/// since the start, and every embedded-store server is a voter.
/// </summary>
internal static class ClusterPowerCommand
{
    public static Command Stop()
    {
        var name = NameOption();
        var grace = new Option<int>("--grace") { Description = "Seconds between SIGTERM and SIGKILL for each node", DefaultValueFactory = _ => 10 };
        var output = OutputFormat.CreateOption();
        var command = new Command("stop", "Stop every node of a cluster (agents, servers from the last to server-0, the load balancer, the datastore), keeping their data");
        command.Options.Add(name);
        command.Options.Add(grace);
        command.Options.Add(output);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cluster = parse.GetValue(name)!;
            using var docker = DockerEngine.CreateClient();
            var stopped = await new ClusterLifecycle(new DockerProvider(docker), new ConsoleProgressLogger()).StopAsync(cluster, TimeSpan.FromSeconds(parse.GetValue(grace)), cancellationToken);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new StopResult(cluster, [.. stopped.Select(n => n.Name)]), CliJsonContext.Default.StopResult));
            }
            else
            {
                Console.WriteLine(stopped.Count == 0 ? $"cluster '{cluster}': every node was already stopped" : $"cluster '{cluster}' stopped: {stopped.Count} node(s); 'k3slab start --name {cluster}' brings it back");
            }

            return 0;
        });
        return command;
    }

    public static Command Start()
    {
        var name = NameOption();
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait until the cluster is healthy again", DefaultValueFactory = _ => 180 };
        var output = OutputFormat.CreateOption();
        var command = new Command("start", "Start a stopped cluster in order (datastore, load balancer, server-0, the other servers, agents) and wait until it is healthy");
        command.Options.Add(name);
        command.Options.Add(timeout);
        command.Options.Add(output);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cluster = parse.GetValue(name)!;
            using var docker = DockerEngine.CreateClient();
            var result = await new ClusterLifecycle(new DockerProvider(docker), new ConsoleProgressLogger()).StartAsync(cluster, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new StartResult(cluster, result.Api.ToString(), result.Kubeconfig, result.ReadyNodes, result.Voters, result.Elapsed.TotalSeconds), CliJsonContext.Default.StartResult));
            }
            else
            {
                var voters = result.Voters > 0 ? $", {result.Voters} datastore voters" : string.Empty;
                Console.WriteLine($"cluster '{cluster}' is back in {result.Elapsed.TotalSeconds:0.0} s: {result.ReadyNodes} node(s) Ready{voters}");
                Console.WriteLine($"export KUBECONFIG={result.Kubeconfig}");
            }

            return 0;
        });
        return command;
    }

    private static Option<string> NameOption() => new("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
}

/// <summary>The machine-readable result of <c>k3slab stop -o json</c>.</summary>
internal sealed record StopResult(string Cluster, List<string> Stopped);

/// <summary>The machine-readable result of <c>k3slab start -o json</c>.</summary>
internal sealed record StartResult(string Cluster, string Api, string Kubeconfig, int ReadyNodes, int Voters, double Seconds);
