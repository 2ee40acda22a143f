using System.CommandLine;
using System.Net;
using K3sLab.K3s.Agent;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>k3s agent</c>, with k3s's flag names and environment variables: join the cluster at <c>--server</c> with
/// <c>--token</c> and run a kubelet behind the client-side load balancer. Flags this build does not act on are not
/// accepted, so the parser names them instead of silently ignoring them.
/// </summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var dataDir = EnvOption.String("--data-dir", "-d", "K3S_DATA_DIR", "Folder to hold state", DataDir.DefaultRoot);
        var token = EnvOption.String("--token", "-t", "K3S_TOKEN", "Token to use for authentication");
        var tokenFile = EnvOption.String("--token-file", null, "K3S_TOKEN_FILE", "Token file to use for authentication");
        var serverUrl = EnvOption.String("--server", "-s", "K3S_URL", "Server to connect to");
        var nodeName = EnvOption.String("--node-name", null, "K3S_NODE_NAME", "Node name", Dns.GetHostName().ToLowerInvariant());
        var withNodeId = EnvOption.Flag("--with-node-id", null, "Append id to node name");
        var nodeIp = EnvOption.String("--node-ip", "-i", null, "IPv4/IPv6 addresses to advertise for node");
        var nodeExternalIp = EnvOption.String("--node-external-ip", null, null, "IPv4/IPv6 external IP addresses to advertise for node");
        var nodeLabel = EnvOption.List("--node-label", null, "Registering and starting kubelet with set of labels");
        var nodeTaint = EnvOption.List("--node-taint", null, "Registering kubelet with set of taints");
        var lbPort = EnvOption.String("--lb-server-port", null, "K3S_LB_SERVER_PORT", "Local port for supervisor client load-balancer", "6444");
        var kubeletArg = EnvOption.List("--kubelet-arg", null, "Customized flag for kubelet process (this build: address=, port=, sync-frequency=)");

        var command = new Command("agent", "Run node agent");
        foreach (var option in new Option[] { dataDir, token, tokenFile, serverUrl, nodeName, withNodeId, nodeIp, nodeExternalIp, nodeLabel, nodeTaint, lbPort })
        {
            command.Options.Add(option);
        }

        command.Options.Add(kubeletArg);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = RuntimeLogging.Create();
            var logger = loggers.CreateLogger("k3s");
            try
            {
                var root = new DataDir(Path.GetFullPath(parse.GetValue(dataDir)!));
                var settings = new AgentSettings(
                    root,
                    ServerCommand.ParseServerUrl(parse.GetValue(serverUrl)) ?? throw new BootstrapException("--server is required: the URL of a server of the cluster to join, such as https://10.0.0.1:6443 (or K3S_URL)"),
                    ParseToken(ServerCommand.ReadToken(parse.GetValue(token), parse.GetValue(tokenFile))),
                    NodeIdentity.Name(parse.GetValue(nodeName)!, parse.GetValue(withNodeId)),
                    parse.GetValue(nodeIp) is { } ip ? ServerCommand.ParseAddress("--node-ip", ip) : ServerCommand.DefaultNodeIp(),
                    parse.GetValue(nodeExternalIp) is { } external ? ServerCommand.ParseAddress("--node-external-ip", external) : null,
                    NodeIdentity.Labels(parse.GetValue(nodeLabel)!),
                    NodeIdentity.Taints(parse.GetValue(nodeTaint)!),
                    ParsePort(parse.GetValue(lbPort)!),
                    NodePasswordFile.PathFor(root));
                var kubelet = KubeletArgs.Parse(parse.GetValue(kubeletArg)!);
                settings = settings with { KubeletAddress = kubelet.Address, KubeletPort = kubelet.Port, KubeletSyncFrequency = kubelet.SyncFrequency };
                return await new K3sAgent(settings, loggers).RunAsync(cancellationToken);
            }
            catch (BootstrapException e)
            {
                RuntimeLogging.Fatal(logger, e.Message);
                return 1;
            }
        });
        return command;
    }

    internal static JoinToken ParseToken(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new BootstrapException("--token is required: the node-token (or agent-token) of a server of the cluster (or K3S_TOKEN, --token-file)");
        }

        try
        {
            var parsed = JoinToken.Parse(text);
            return parsed.IsBootstrapToken
                ? throw new BootstrapException("--token: bootstrap tokens (<id>.<secret>) are not supported by this build; use the server's node-token or agent-token")
                : parsed;
        }
        catch (FormatException e)
        {
            throw new BootstrapException($"--token: {e.Message}");
        }
    }

    private static int ParsePort(string value) =>
        int.TryParse(value, out var port) && port is > 0 and < 65536
            ? port
            : throw new BootstrapException($"--lb-server-port {value} is not a TCP port (1-65535)");
}
