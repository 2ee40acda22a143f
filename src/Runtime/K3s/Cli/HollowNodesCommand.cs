using System.CommandLine;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Hollow;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>k3s hollow-nodes</c> (hidden; ours, for scale tests, as kubemark is Kubernetes'): join <c>--count</c> hollow
/// nodes to the cluster at <c>--server</c> with <c>--token</c> and run them in this process until SIGINT/SIGTERM.
/// See <see cref="HollowNodes"/>.
/// </summary>
internal static class HollowNodesCommand
{
    public static Command Create()
    {
        var token = EnvOption.String("--token", "-t", "K3S_TOKEN", "Token to use for authentication");
        var tokenFile = EnvOption.String("--token-file", null, "K3S_TOKEN_FILE", "Token file to use for authentication");
        var serverUrl = EnvOption.String("--server", "-s", "K3S_URL", "Server to connect to");
        var count = EnvOption.Int("--count", "Number of hollow nodes to run", 1);
        var prefix = EnvOption.String("--name-prefix", null, null, "Node names are this prefix and the node's index", "hollow-");
        var dataDir = EnvOption.String("--data-dir", "-d", null, "Folder to hold the hollow nodes' keys, certificates and passwords", Path.Combine(Path.GetTempPath(), "k3s-hollow"));
        var concurrency = EnvOption.Int("--join-concurrency", "How many hollow nodes join at once", 16);

        var command = new Command("hollow-nodes", "Run kubemark-style hollow nodes (kubelets with a fake runtime) in one process") { Hidden = true };
        foreach (var option in new Option[] { token, tokenFile, serverUrl, count, prefix, dataDir, concurrency })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = RuntimeLogging.Create();
            var logger = loggers.CreateLogger("k3s");
            try
            {
                var settings = new HollowNodeSettings(
                    ServerCommand.ParseServerUrl(parse.GetValue(serverUrl)) ?? throw new BootstrapException("--server is required: the URL of a server of the cluster to join, such as https://127.0.0.1:6443 (or K3S_URL)"),
                    AgentCommand.ParseToken(ServerCommand.ReadToken(parse.GetValue(token), parse.GetValue(tokenFile))),
                    parse.GetValue(count) is > 0 and var n ? n : throw new BootstrapException("--count must be at least 1"),
                    parse.GetValue(prefix)!,
                    Path.GetFullPath(parse.GetValue(dataDir)!),
                    parse.GetValue(concurrency) is > 0 and var c ? c : throw new BootstrapException("--join-concurrency must be at least 1"));
                return await new HollowNodes(settings, loggers).RunAsync(cancellationToken);
            }
            catch (BootstrapException e)
            {
                RuntimeLogging.Fatal(logger, e.Message);
                return 1;
            }
        });
        return command;
    }
}
