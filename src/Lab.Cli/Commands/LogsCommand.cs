using System.CommandLine;
using K3sLab.Cli.Output;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary><c>k3slab logs &lt;node&gt; [--name c] [-f] [--tail N]</c>: a node's k3s (or etcd, PostgreSQL, balancer) output, as <c>docker logs</c> keeps it.</summary>
internal static class LogsCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output until the node stops or Ctrl-C" };
        var tail = new Option<int?>("--tail") { Description = "Only the last N lines" };
        var node = new Argument<string>("node") { Description = "server-0, agent-1, lb, etcd-0, postgres-0, or the container name" };
        var output = OutputFormat.CreateOption();
        output.Description = "Output format: text, or json for JSON Lines ({node, stream, line} per line of output)";
        var command = new Command("logs", "Print a node's output (k3s server or agent, etcd, PostgreSQL, load balancer)");
        command.Options.Add(name);
        command.Options.Add(output);
        command.Options.Add(follow);
        command.Options.Add(tail);
        command.Arguments.Add(node);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var docker = DockerEngine.CreateClient();
            var provider = new DockerProvider(docker);
            var target = await NodeLookup.FindAsync(provider, parse.GetValue(name)!, parse.GetValue(node)!, cancellationToken);
            var json = parse.GetValue(output) == OutputFormat.Json;
            var gate = new object();
            await using var stdout = json ? new JsonLinesStream(Console.Out, gate, target.Name, "stdout") : Console.OpenStandardOutput();
            await using var stderr = json ? new JsonLinesStream(Console.Out, gate, target.Name, "stderr") : Console.OpenStandardError();
            try
            {
                await provider.StreamLogsAsync(target, parse.GetValue(tail), parse.GetValue(follow), stdout, stderr, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && parse.GetValue(follow))
            {
                // Ctrl-C ends a follow: that is how it is meant to stop.
            }

            return 0;
        });
        return command;
    }
}
