using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab node add server|agent</c> (<see cref="NodeAdder"/>) and
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
        var command = new Command("node", "Add a node, or kill, stop, start, restart, pause, unpause or delete one node of a cluster");
        command.Subcommands.Add(Add());
        foreach (var verb in Verbs)
        {
            command.Subcommands.Add(Verb(verb));
        }

        return command;
    }

    private static Command Add()
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait until the new node is Ready (and a voter)", DefaultValueFactory = _ => 180 };
        var role = new Argument<string>("role") { Description = "server or agent" };
        role.AcceptOnlyFromAmong("server", "agent");
        var output = OutputFormat.CreateOption();
        var command = new Command("add", "Add a server (joining the datastore; the load balancer is given it) or an agent, and wait until it is Ready");
        command.Options.Add(name);
        command.Options.Add(output);
        command.Options.Add(timeout);
        command.Arguments.Add(role);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var docker = DockerEngine.CreateClient();
            var added = await new NodeAdder(new DockerProvider(docker), new ConsoleProgressLogger())
                .AddAsync(parse.GetValue(name)!, parse.GetValue(role) == "server" ? NodeRole.Server : NodeRole.Agent, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken);
            Report(parse.GetValue(output)!, "add", added);
            return 0;
        });
        return command;
    }

    private static Command Verb(string verb)
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
        var grace = new Option<int>("--grace") { Description = "Seconds between SIGTERM and SIGKILL (stop, restart)", DefaultValueFactory = _ => 10 };
        var node = new Argument<string>("node") { Description = "server-0, agent-1, lb, etcd-0, postgres-0, or the container name" };
        var output = OutputFormat.CreateOption();
        var command = new Command(verb, $"{char.ToUpperInvariant(verb[0])}{verb[1..]} a node");
        command.Options.Add(name);
        command.Options.Add(output);
        command.Options.Add(grace);
        command.Arguments.Add(node);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var docker = DockerEngine.CreateClient();
            var provider = new DockerProvider(docker);
            var target = await NodeLookup.FindAsync(provider, parse.GetValue(name)!, parse.GetValue(node)!, cancellationToken);
            var timeout = TimeSpan.FromSeconds(parse.GetValue(grace));
            PowerLoss? powerLoss = null;
            switch (verb)
            {
                case "kill":
                    powerLoss = await provider.KillAsync(target, cancellationToken);
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

            Report(parse.GetValue(output)!, verb, target, powerLoss);
            return 0;
        });
        return command;
    }

    private static void Report(string format, string action, LabNode node, PowerLoss? powerLoss = null)
    {
        var kind = powerLoss switch
        {
            PowerLoss.UnsyncedWritesDropped => "unsynced-writes-dropped",
            PowerLoss.ProcessesKilled => "processes-killed",
            _ => null,
        };
        if (format == OutputFormat.Json)
        {
            var result = new NodeResult(node.Cluster, action, node.Name, node.Role.ToString().ToLowerInvariant(), node.Address.ToString(), kind);
            Console.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.NodeResult));
        }
        else
        {
            Console.WriteLine(action == "add" ? $"add: {node.Name} at {node.Address}"
                : powerLoss == PowerLoss.UnsyncedWritesDropped ? $"{action}: {node.Name} (power loss: SIGKILL, and its data disk dropped every write not yet fsynced)"
                : powerLoss == PowerLoss.ProcessesKilled ? $"{action}: {node.Name} (power loss: SIGKILL; the host's page cache keeps unsynced writes)"
                : $"{action}: {node.Name}");
        }
    }
}
