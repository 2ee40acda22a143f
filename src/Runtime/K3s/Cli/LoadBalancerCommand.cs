using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using K3sLab.K3s.Agent.LoadBalancer;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>k3s loadbalancer</c> (K3sLab's, not a k3s command): the agent's load balancer run on its own in front of a
/// list of servers, for the lab's <c>k3slab-&lt;cluster&gt;-lb</c> node, so the published API port and the
/// nodes' registration address keep working when a server dies. Servers are checked with <c>GET /ping</c> every 2 s
/// (any certificate: clients verify the servers end to end through it). The list is the <c>--servers-file</c> when
/// it holds one, else the <c>--server</c> flags; the file is read again whenever it changes, so the lab adds, removes
/// and moves servers without restarting the balancer (<see cref="ServersFile"/>).
/// </summary>
internal static class LoadBalancerCommand
{
    public static Command Create()
    {
        var listen = EnvOption.String("--listen", null, null, "Address:port to accept connections on", "0.0.0.0:6443");
        var servers = EnvOption.List("--server", null, "A server's address:port (repeat for each)");
        var stateFile = EnvOption.String("--state-file", null, null, "Where the server list is kept", "/var/lib/k3slab/loadbalancer.json");
        var serversFile = EnvOption.String("--servers-file", null, null, "A file of address:port lines, one per server; when it holds any it replaces --server, and it is read again whenever it changes", "/var/lib/k3slab/servers");
        var command = new Command("loadbalancer", "(K3sLab) Run a TCP load balancer in front of the servers of a lab cluster");
        command.Options.Add(listen);
        command.Options.Add(servers);
        command.Options.Add(stateFile);
        command.Options.Add(serversFile);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = RuntimeLogging.Create();
            var logger = loggers.CreateLogger("k3s.loadbalancer");
            try
            {
                var endpoint = IPEndPoint.TryParse(parse.GetValue(listen)!, out var parsed) && parsed.Port > 0
                    ? parsed
                    : throw new BootstrapException($"--listen {parse.GetValue(listen)} is not an address:port such as 0.0.0.0:6443");
                var file = new ServersFile(parse.GetValue(serversFile)!, TimeProvider.System, logger);
                IReadOnlyList<string> list;
                try
                {
                    list = file.Read() is { Count: > 0 } listed ? listed : parse.GetValue(servers)!;
                }
                catch (FormatException e)
                {
                    throw new BootstrapException($"--servers-file {file.Path}: {e.Message}");
                }

                if (list.Count == 0)
                {
                    throw new BootstrapException($"--server is required when {file.Path} lists no server: the address:port of each server to balance");
                }

                using var ping = new PingHealthCheck(null);
                await using var balancer = LoadBalancerHost.Start(
                    new LoadBalancerOptions { ServiceName = "k3slab-server-load-balancer", Listen = endpoint, ServerUrl = "lab", StateFile = parse.GetValue(stateFile)!, InitialServers = list },
                    ping.Check,
                    logger);
                await file.WatchAsync(balancer.SetServers, cancellationToken);
                return 0;
            }
            catch (BootstrapException e)
            {
                RuntimeLogging.Fatal(logger, e.Message);
                return 1;
            }
            catch (SocketException e)
            {
                RuntimeLogging.Fatal(logger, $"the load balancer cannot listen on {parse.GetValue(listen)}: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
