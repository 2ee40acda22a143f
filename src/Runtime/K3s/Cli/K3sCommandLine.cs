using System.CommandLine;
using System.CommandLine.Invocation;

namespace K3sLab.K3s.Cli;

/// <summary>
/// The <c>k3s</c> command tree. Each role or tool adds its sub-command here; the root answers
/// <c>--version</c> in k3s's format and <c>--help</c> with the list of commands.
/// </summary>
internal static class K3sCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("k3s (K3sLab runtime): a lightweight Kubernetes server and agent");
        var version = root.Options.OfType<VersionOption>().Single();
        version.Action = new PrintVersion();
        version.Aliases.Add("-v");
        root.Subcommands.Add(ServerCommand.Create());
        root.Subcommands.Add(DatastoreCommand.Create());
        root.Subcommands.Add(EtcdSnapshotCommand.Create());
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
