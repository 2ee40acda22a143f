using System.CommandLine;

namespace K3sLab.Cli.Commands;

/// <summary>The <c>k3slab</c> command tree; each command lives in its own file and registers here.</summary>
internal static class LabCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("k3slab: Kubernetes HA clusters of k3s-compatible nodes in Docker, with chaos and performance tooling");
        root.Subcommands.Add(SimCommand.Create());
        return root;
    }
}
