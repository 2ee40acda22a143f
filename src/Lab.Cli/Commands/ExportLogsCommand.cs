using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary><c>k3slab export-logs &lt;dir&gt; [--name c]</c>: each node's container description, output, pod logs and datastore state into one folder (<see cref="ClusterLogExport"/>).</summary>
internal static class ExportLogsCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
        var directory = new Argument<string>("dir") { Description = "The folder to write into (created; one subfolder per node)" };
        var command = new Command("export-logs", "Write every node's container description, logs, pod logs and datastore state into a folder");
        var output = OutputFormat.CreateOption();
        command.Options.Add(name);
        command.Options.Add(output);
        command.Arguments.Add(directory);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = Path.GetFullPath(parse.GetValue(directory)!);
            using var docker = DockerEngine.CreateClient();
            var files = await new ClusterLogExport(new DockerProvider(docker)).ExportAsync(parse.GetValue(name)!, folder, cancellationToken);
            Console.WriteLine(parse.GetValue(output) == OutputFormat.Json
                ? JsonSerializer.Serialize(new ExportLogsResult(parse.GetValue(name)!, folder, [.. files]), CliJsonContext.Default.ExportLogsResult)
                : $"exported {files.Count} files to {folder}");
            return 0;
        });
        return command;
    }
}
