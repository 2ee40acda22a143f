using System.CommandLine;
using System.CommandLine.Invocation;

namespace K3sLab.K3s.Cli;

/// <summary>
/// The <c>k3s</c> command tree. Each role or tool adds its sub-command here; the root answers
/// <c>--version</c> in k3s's format and <c>--help</c> with the list of commands.
/// </summary>
internal static class K3sCommandLine
{
    /// <summary>Runs the command line, with the configuration files' flags (<see cref="ConfigFile"/>) before the given ones.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        string[] expanded;
        IReadOnlyList<string> warnings;
        using (var loggers = RuntimeLogging.Create())
        {
            var logger = loggers.CreateLogger("k3s");
            try
            {
                (expanded, warnings) = ConfigFile.Expand(root, args);
            }
            catch (Bootstrap.BootstrapException e)
            {
                RuntimeLogging.Fatal(logger, e.Message);
                return 1;
            }

            foreach (var warning in warnings)
            {
                RuntimeLogging.Ignored(logger, warning);
            }
        }

        return await root.Parse(expanded).InvokeAsync();
    }

    public static RootCommand Build()
    {
        var root = new RootCommand("k3s (K3sLab runtime): a lightweight Kubernetes server and agent");
        var version = root.Options.OfType<VersionOption>().Single();
        version.Action = new PrintVersion();
        version.Aliases.Add("-v");
        var server = ServerCommand.Create();
        var agent = AgentCommand.Create();
        server.Options.Add(ConfigFile.Option());
        agent.Options.Add(ConfigFile.Option());
        root.Subcommands.Add(server);
        root.Subcommands.Add(agent);
        root.Subcommands.Add(LoadBalancerCommand.Create());
        root.Subcommands.Add(DatastoreCommand.Create());
        root.Subcommands.Add(EtcdSnapshotCommand.Create());
        root.Subcommands.Add(HollowNodesCommand.Create());
        return root;
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(RuntimeVersion.Banner);
            return 0;
        }
    }
}
