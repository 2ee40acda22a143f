using System.CommandLine;
using K3sLab.Lab;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab node kill|stop|start|restart|pause|unpause|delete &lt;node&gt; [--name c]</c>: one node's lifecycle, the
/// faults a chaos experiment starts from. A node is named as in <c>list</c> (<c>k3slab-dev-server-0</c>) or by
/// role and index (<c>server-0</c>, <c>agent-2</c>, <c>lb</c>). <c>kill</c> is SIGKILL to the whole container (power
/// loss); <c>stop</c> is SIGTERM then SIGKILL after <c>--grace</c>.
/// </summary>
internal static class NodeCommand
{
    private static readonly string[] Verbs = ["kill", "stop", "start", "restart", "pause", "unpause", "delete"];

    public static Command Create()
    {
        var command = new Command("node", "Kill, stop, start, restart, pause, unpause or delete one node of a cluster");
        foreach (var verb in Verbs)
        {
            command.Subcommands.Add(Verb(verb));
        }

        return command;
    }

    private static Command Verb(string verb)
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
        var grace = new Option<int>("--grace") { Description = "Seconds between SIGTERM and SIGKILL (stop, restart)", DefaultValueFactory = _ => 10 };
        var node = new Argument<string>("node") { Description = "server-0, agent-1, lb, etcd-0, postgres-0, or the container name" };
        var command = new Command(verb, $"{char.ToUpperInvariant(verb[0])}{verb[1..]} a node");
        command.Options.Add(name);
        command.Options.Add(grace);
        command.Arguments.Add(node);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cluster = parse.GetValue(name)!;
            LabNaming.ValidateClusterName(cluster);
            using var docker = DockerEngine.CreateClient();
            var provider = new DockerProvider(docker);
            var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
            var wanted = parse.GetValue(node)!;
            var target = nodes.FirstOrDefault(n => n.Name == wanted || n.Name == $"k3slab-{cluster}-{wanted}")
                ?? throw new LabSetupException($"cluster '{cluster}' has no node '{wanted}'; its nodes: {(nodes.Count == 0 ? "none" : string.Join(", ", nodes.Select(n => n.Name)))}");
            var timeout = TimeSpan.FromSeconds(parse.GetValue(grace));
            switch (verb)
            {
                case "kill":
                    await provider.KillAsync(target, cancellationToken);
                    break;
                case "stop":
                    await provider.StopAsync(target, timeout, cancellationToken);
                    break;
                case "start":
                    await provider.StartAsync(target, cancellationToken);
                    break;
                case "restart":
                    await provider.StopAsync(target, timeout, cancellationToken);
                    await provider.StartAsync(target, cancellationToken);
                    break;
                case "pause":
                    await provider.PauseAsync(target, cancellationToken);
                    break;
                case "unpause":
                    await provider.UnpauseAsync(target, cancellationToken);
                    break;
                default:
                    await provider.RemoveAsync(target, cancellationToken);
                    break;
            }

            Console.WriteLine($"{verb}: {target.Name}");
            return 0;
        });
        return command;
    }
}
