using System.CommandLine;
using K3sLab.Lab;

namespace K3sLab.Cli.Commands;

/// <summary>The <c>k3slab</c> command tree; each command lives in its own file and registers here.</summary>
internal static class LabCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("k3slab: Kubernetes HA clusters of k3s-compatible nodes in Docker, with chaos and performance tooling");
        root.Subcommands.Add(BuildCommand.Create());
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(NodeCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ClusterPowerCommand.Stop());
        root.Subcommands.Add(ClusterPowerCommand.Start());
        root.Subcommands.Add(KubeconfigCommand.Create());
        root.Subcommands.Add(LogsCommand.Create());
        root.Subcommands.Add(ExecCommand.Create());
        root.Subcommands.Add(ExportLogsCommand.Create());
        root.Subcommands.Add(DownCommand.Create());
        root.Subcommands.Add(SimCommand.Create());
        root.Subcommands.Add(ChaosCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    /// <summary>Parses and runs, turning a <see cref="LabSetupException"/> into one clear line and exit code 1.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (LabSetupException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("interrupted");
            return 130;
        }
    }
}
