using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab exec &lt;node&gt; [--name c] -- cmd args...</c>: runs a command inside a node (no terminal) and exits
/// with its exit code, e.g. <c>k3slab exec server-0 -- k3s etcd-snapshot ls</c>.
/// </summary>
internal static class ExecCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
        var node = new Argument<string>("node") { Description = "server-0, agent-1, lb, etcd-0, postgres-0, or the container name" };
        var commandLine = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var output = OutputFormat.CreateOption();
        var command = new Command("exec", "Run a command inside a node and exit with its exit code");
        command.Options.Add(name);
        command.Options.Add(output);
        command.Arguments.Add(node);
        command.Arguments.Add(commandLine);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var docker = DockerEngine.CreateClient();
            var provider = new DockerProvider(docker);
            var target = await NodeLookup.FindAsync(provider, parse.GetValue(name)!, parse.GetValue(node)!, cancellationToken);
            if (!target.IsRunning)
            {
                throw new LabSetupException($"{target.Name} is {target.State}, not running: start it first ('k3slab node start {target.Name}')");
            }

            var result = await provider.ExecAsync(target, parse.GetValue(commandLine)!, cancellationToken);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                var report = new ExecResult(target.Cluster, target.Name, [.. parse.GetValue(commandLine)!], result.ExitCode, result.Stdout, result.Stderr);
                Console.WriteLine(JsonSerializer.Serialize(report, CliJsonContext.Default.ExecResult));
            }
            else
            {
                Console.Out.Write(result.Stdout);
                Console.Error.Write(result.Stderr);
            }

            return (int)Math.Clamp(result.ExitCode, 0, 255);
        });
        return command;
    }
}
