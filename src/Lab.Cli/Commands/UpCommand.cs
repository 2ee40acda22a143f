using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Host;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab up [--name c] [--servers N] [--agents M] [--datastore sqlite|embedded|etcd|postgres] [--topology stacked|external|split]</c>: builds (or
/// reuses) the node image (and the datastore image for etcd or PostgreSQL), then creates a cluster of Docker nodes
/// behind a load balancer and waits until every node is Ready and, on the embedded store, every server a voter.
/// Prints the summary and the kubeconfig to use.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster name", DefaultValueFactory = _ => "k3slab" };
        var servers = new Option<int>("--servers", "-s") { Description = "Number of servers (more than one share the embedded datastore, unless --datastore etcd or postgres)", DefaultValueFactory = _ => 1 };
        var agents = new Option<int>("--agents", "-a") { Description = "Number of agents", DefaultValueFactory = _ => 0 };
        var datastore = new Option<string>("--datastore") { Description = "sqlite (one server only), embedded, etcd (a 3-member etcd cluster with TLS) or postgres (a PostgreSQL node); auto: sqlite for one server, embedded for more", DefaultValueFactory = _ => "auto" };
        datastore.AcceptOnlyFromAmong([.. LabDatastores.Words]);
        var topology = new Option<string?>("--topology") { Description = "The HA layout: stacked (the embedded datastore on the servers, as --datastore embedded), external (a 3-member real etcd cluster, as --datastore etcd) or split (3 etcd-only k3s servers, and the --servers as control-plane-only servers)" };
        topology.AcceptOnlyFromAmong([.. LabDatastores.TopologyWords]);
        var apiPort = new Option<int>("--api-port") { Description = "Host port on 127.0.0.1 for the API (0: a free port)", DefaultValueFactory = _ => 0 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for every node to be Ready", DefaultValueFactory = _ => 180 };
        var keep = new Option<bool>("--keep-on-failure") { Description = "Keep the containers when creation fails, for inspection" };
        var serverArgs = new Option<string[]>("--k3s-server-arg") { Description = "Extra flag for every k3s server (repeat)", DefaultValueFactory = _ => [] };
        var agentArgs = new Option<string[]>("--k3s-agent-arg") { Description = "Extra flag for every k3s agent (repeat)", DefaultValueFactory = _ => [] };
        var noNetAdmin = new Option<bool>("--no-net-admin") { Description = "Create nodes without the NET_ADMIN capability (network faults then cannot be injected)" };
        var lossyDisks = new Option<bool>("--lossy-disks")
        {
            Description = "Give every server and agent a data disk of its own (a loop-mounted ext4 on the host; needs root) that drops writes not yet fsynced when the node is killed, as a power cut does",
        };
        var output = OutputFormat.CreateOption();
        var command = new Command("up", "Create a cluster: servers and agents as Docker containers behind a load balancer, with a kubeconfig");
        foreach (var option in new Option[] { name, servers, agents, datastore, topology, apiPort, timeout, keep, serverArgs, agentArgs, noNetAdmin, lossyDisks, output })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var logger = new ConsoleProgressLogger();
            var spec = new ClusterSpec(parse.GetValue(name)!, parse.GetValue(servers), parse.GetValue(agents), parse.GetValue(apiPort), TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(keep))
            {
                Datastore = LabDatastores.Choose(parse.GetResult(datastore) is { Implicit: false } ? parse.GetValue(datastore) : null, parse.GetValue(topology)),
                ServerArgs = parse.GetValue(serverArgs)!,
                AgentArgs = parse.GetValue(agentArgs)!,
                NetworkAdmin = !parse.GetValue(noNetAdmin),
                LossyDisks = parse.GetValue(lossyDisks),
            };
            LabNaming.ValidateClusterName(spec.Name);
            if (spec.Problem() is { } problem)
            {
                throw new LabSetupException(problem);
            }

            if (spec.LossyDisks && LossyDisk.Problem() is { } diskProblem)
            {
                throw new LabSetupException($"--lossy-disks cannot be applied here: {diskProblem}.");
            }

            var image = await LabPrerequisites.EnsureNodeImageAsync(logger, cancellationToken);
            var datastoreImage = spec.ResolvedDatastore.NeedsDatastoreImage() ? await LabPrerequisites.EnsureDatastoreImageAsync(logger, cancellationToken) : null;
            using var docker = DockerEngine.CreateClient();
            var cluster = await new ClusterCreator(new DockerProvider(docker), logger).CreateAsync(spec, image, cancellationToken, datastoreImage);
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                var result = new UpResult(cluster.Name, cluster.ApiUrl.ToString(), cluster.KubeconfigPath, spec.Servers, spec.Agents, cluster.Elapsed.TotalSeconds,
                    [.. cluster.Nodes.Select(n => new NodeRow(n.Cluster, n.Name, LabNaming.RoleWord(n.Role), n.Address.ToString(), n.State))]);
                Console.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.UpResult));
            }
            else
            {
                var store = spec.ResolvedDatastore switch
                {
                    LabDatastore.Embedded => $", {spec.Servers} datastore voter(s)",
                    LabDatastore.Etcd => $", on {spec.EtcdMembers} etcd member(s)",
                    LabDatastore.Postgres => ", on PostgreSQL",
                    LabDatastore.Split => $", on {spec.EtcdMembers} etcd-only server(s)",
                    _ => ", on SQLite",
                };
                Console.WriteLine($"cluster '{cluster.Name}' is up in {cluster.Elapsed.TotalSeconds:0.0} s: {spec.Servers} server(s) and {spec.Agents} agent(s) Ready{store}");
                Console.WriteLine($"API: {cluster.ApiUrl} (through {LabNaming.NodeName(cluster.Name, NodeRole.LoadBalancer, 0)})");
                Console.WriteLine($"export KUBECONFIG={cluster.KubeconfigPath}");
            }

            return 0;
        });
        return command;
    }
}

/// <summary>The machine-readable result of <c>k3slab up -o json</c>.</summary>
internal sealed record UpResult(string Name, string Api, string Kubeconfig, int Servers, int Agents, double Seconds, List<NodeRow> Nodes);
