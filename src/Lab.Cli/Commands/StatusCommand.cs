using System.CommandLine;
using System.Text.Json;
using K3sLab.Cli.Output;
using K3sLab.Lab;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;

namespace K3sLab.Cli.Commands;

/// <summary>
/// <c>k3slab status [--name c]</c>: every node's container state and, through the cluster's kubeconfig, whether its
/// Node is Ready (for an external datastore's nodes: whether etcd or PostgreSQL serves, asked inside the node), plus
/// the embedded datastore's voters as the first running server reports them.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name", "-n") { Description = "The cluster", DefaultValueFactory = _ => "k3slab" };
        var output = OutputFormat.CreateOption();
        var command = new Command("status", "Show a cluster's nodes (container state, Ready) and datastore voters");
        command.Options.Add(name);
        command.Options.Add(output);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cluster = parse.GetValue(name)!;
            LabNaming.ValidateClusterName(cluster);
            using var docker = DockerEngine.CreateClient();
            var provider = new DockerProvider(docker);
            var nodes = await provider.ListNodesAsync(cluster, cancellationToken);
            if (nodes.Count == 0)
            {
                throw new LabSetupException($"there is no cluster '{cluster}': 'k3slab list' shows the clusters there are");
            }

            var kubeconfig = ClusterKubeconfig.PathFor(cluster);
            IReadOnlyDictionary<string, string> ready = new Dictionary<string, string>();
            IReadOnlyList<string> voters = [];
            if (File.Exists(kubeconfig) && nodes.FirstOrDefault(n => n.Role == NodeRole.Server && n.State == "running") is { } server)
            {
                var token = await ClusterToken.ReadAsync(provider, server, cancellationToken);
                using var status = new ClusterStatusReader(kubeconfig, server.Address, token);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                ready = await status.ReadinessAsync(timeout.Token);
                voters = await status.VotersAsync(timeout.Token);
            }

            var rows = new List<StatusRow>();
            foreach (var n in nodes)
            {
                var health = n.Role switch
                {
                    NodeRole.LoadBalancer => "-",
                    _ when LabNaming.IsDatastore(n.Role) => !n.IsRunning ? "-" : await DatastoreHealth.IsHealthyAsync(provider, n, cancellationToken) == true ? "healthy" : "unhealthy",
                    _ => ready.GetValueOrDefault(n.Name, "unknown"),
                };
                rows.Add(new StatusRow(n.Name, LabNaming.RoleWord(n.Role), n.Address.ToString(), n.State, health));
            }

            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new StatusResult(cluster, kubeconfig, rows, [.. voters]), CliJsonContext.Default.StatusResult));
                return 0;
            }

            Console.WriteLine($"{"NODE",-34} {"ROLE",-11} {"ADDRESS",-15} {"CONTAINER",-10} READY");
            foreach (var r in rows)
            {
                Console.WriteLine($"{r.Name,-34} {r.Role,-11} {r.Address,-15} {r.State,-10} {r.Ready}");
            }

            var external = nodes.Where(n => LabNaming.IsDatastore(n.Role)).ToList();
            Console.WriteLine(external.Count > 0
                ? $"datastore: {(external[0].Role == NodeRole.EtcdServer ? "etcd-only servers (split topology)" : "external " + LabNaming.RoleWord(external[0].Role))}, {rows.Count(r => r.Ready == "healthy")} of {external.Count} node(s) healthy"
                : voters.Count == 0 ? "datastore voters: none reported (SQLite, or no server answers)" : $"datastore voters: {string.Join(", ", voters)}");
            Console.WriteLine($"kubeconfig: {kubeconfig}");
            return 0;
        });
        return command;
    }
}

/// <summary>One node in <c>k3slab status</c>.</summary>
internal sealed record StatusRow(string Name, string Role, string Address, string State, string Ready);

/// <summary>The machine-readable result of <c>k3slab status -o json</c>.</summary>
internal sealed record StatusResult(string Cluster, string Kubeconfig, List<StatusRow> Nodes, List<string> Voters);
