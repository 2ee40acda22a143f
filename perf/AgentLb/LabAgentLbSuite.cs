using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Lab;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Engine;
using K3sLab.Lab.Providers;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Perf.AgentLb;

/// <summary>
/// The agent load balancer's failover in the lab: a 3-server, 1-agent cluster of Docker containers (as
/// <c>k3slab up --servers 3 --agents 1</c> makes it). Each trial kills (<c>docker kill</c>, SIGKILL to the whole
/// node) the server container the agent's balancer has ACTIVE and times requests through the agent's own balancer on
/// <c>127.0.0.1:6444</c> inside the agent container, as kubectl run there would make them; then it starts the
/// container again and waits until the balancer has taken it back. Unlike local processes, a killed container's
/// address stops answering at all, so nothing is refused: the balancer must learn of the death another way.
/// Writes <c>agentlb-lab.md</c>, <c>.json</c> and a plot; exit 1 when a trial does not recover within 30 s.
/// </summary>
internal static class LabAgentLbSuite
{
    private const string Cluster = "perfagentlb";
    private const string EtcdTls = "/var/lib/rancher/k3s/server/tls/etcd";
    private const string Setup = "Three servers and one agent as lab containers on one Docker network (`k3slab up --servers 3 --agents 1`); the requests come from inside the agent's container (its network namespace), to the balancer on 127.0.0.1:6444. Each kill is `docker kill`: SIGKILL to the whole node, which takes its address off the network.";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Goal = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string outputDirectory, int trials, CancellationToken ct)
    {
        var image = await LabPrerequisites.EnsureNodeImageAsync(NullLogger.Instance, ct);
        using var docker = DockerEngine.CreateClient();
        var provider = new DockerProvider(docker);
        await provider.DeleteClusterAsync(Cluster, ct);
        try
        {
            var cluster = await new ClusterCreator(provider, NullLogger.Instance).CreateAsync(new ClusterSpec(Cluster, 3, 1, 0, StartDeadline, KeepOnFailure: false), image, ct);
            var servers = cluster.Nodes.Where(n => n.Role == NodeRole.Server).OrderBy(n => n.Index).ToList();
            var agent = cluster.Nodes.Single(n => n.Role == NodeRole.Agent);
            var pid = await PidAsync(provider, agent, ct);
            var config = k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.KubeconfigPath);
            using var admin = ApiProbe.PairFromPem(FromBase64(config.ClientCertificateData), FromBase64(config.ClientCertificateKeyData));
            var ca = config.SslCaCerts?.Count > 0 ? config.SslCaCerts[0] : throw new InvalidOperationException($"{cluster.KubeconfigPath} has no cluster CA");
            var balancer = new IPEndPoint(IPAddress.Loopback, 6444);
            var throughBalancer = new ApiProbe(new Uri($"https://{balancer}"), admin, ca, token => NetworkNamespace.ConnectAsync(pid, balancer, token));

            await BalancerLog.WaitUntilAsync(
                async () => await throughBalancer.GetAsync($"/api/v1/nodes/{agent.Name}", RequestTimeout, ct) == HttpStatusCode.OK && BalancerLog.AllListed(await provider.LogsAsync(agent, ct), servers.Select(s => s.Address)),
                StartDeadline,
                () => $"the agent's balancer does not answer with all three servers listed\n{provider.LogsAsync(agent, CancellationToken.None).GetAwaiter().GetResult()}",
                ct);
            Progress($"cluster {Cluster} up in {cluster.Elapsed.TotalSeconds:0.0} s; requests go to {balancer} inside {agent.Name} (pid {pid})");

            var results = new List<AgentLbTrial>();
            for (var trial = 1; trial <= trials; trial++)
            {
                var agentLog = await provider.LogsAsync(agent, ct);
                var active = BalancerLog.ActiveServer(agentLog) is { } address
                    ? servers.Single(s => $"{s.Address}:6443" == address)
                    : throw new InvalidOperationException($"the agent's load balancer has no ACTIVE server\n{agentLog}");
                var wasLeader = await IsLeaderAsync(provider, active, ct);
                var nodes = servers.Append(agent).ToList();
                var marks = new List<int>();
                foreach (var node in nodes)
                {
                    marks.Add((await provider.LogsAsync(node, ct)).Length);
                }

                var result = await FailoverTrialRun.RunAsync(trial, active.Name, wasLeader, () => provider.KillAsync(active, ct), throughBalancer, agent.Name, ct);
                results.Add(result);
                if (result.RecoverySeconds > Goal.TotalSeconds)
                {
                    await WriteSlowTrialAsync(outputDirectory, provider, result, nodes, marks, ct);
                }

                Progress($"trial {trial}: killed {result.Killed}{(result.KilledWasLeader ? " (datastore leader)" : string.Empty)}: API through the agent's balancer after {result.RecoverySeconds * 1000:0} ms ({result.FailedProbes} failed requests), lease renewed after {result.LeaseRenewedSeconds:0.0} s");

                var mark = marks[^1];
                await provider.StartAsync(active, ct);
                await BalancerLog.WaitUntilAsync(
                    async () =>
                    {
                        var log = await provider.LogsAsync(agent, ct);
                        return BalancerLog.TookBack(log[Math.Min(mark, log.Length)..], active.Address) && BalancerLog.AllListed(log, servers.Select(s => s.Address));
                    },
                    StartDeadline,
                    () => $"the balancer did not take {active.Name} back after it restarted",
                    ct);
                var direct = new ApiProbe(new Uri($"https://{active.Address}:6443"), admin, ca);
                await BalancerLog.WaitUntilAsync(async () => await direct.GetAsync("/readyz", RequestTimeout, ct) == HttpStatusCode.OK, StartDeadline, () => $"{active.Name} is not ready after its restart", ct);
            }

            await AgentLbReport.WriteAsync(outputDirectory, "agentlb-lab", $"node image {image}", Setup, results, ct);
            return results.All(r => r.RecoverySeconds <= FailoverTrialRun.RecoveryDeadline.TotalSeconds) ? 0 : 1;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or LabSetupException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        finally
        {
            await provider.DeleteClusterAsync(Cluster, CancellationToken.None);
        }
    }

    /// <summary>A trial over the goal leaves every node's log since the kill in <c>agentlb-lab-trial-N.log</c>.</summary>
    private static async Task WriteSlowTrialAsync(string outputDirectory, INodeProvider provider, AgentLbTrial result, IReadOnlyList<LabNode> nodes, IReadOnlyList<int> marks, CancellationToken ct)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"trial {result.Trial}: killed {result.Killed} (datastore leader: {result.KilledWasLeader}); API back after {result.RecoverySeconds * 1000:0} ms, {result.FailedProbes} failed requests\n"));
        for (var i = 0; i < nodes.Count; i++)
        {
            var log = await provider.LogsAsync(nodes[i], ct);
            text.Append("\n== ").Append(nodes[i].Name).Append(" ==\n").Append(log.AsSpan(Math.Min(marks[i], log.Length)));
        }

        Directory.CreateDirectory(outputDirectory);
        var path = Path.Combine(outputDirectory, string.Create(CultureInfo.InvariantCulture, $"agentlb-lab-trial-{result.Trial}.log"));
        await File.WriteAllTextAsync(path, text.ToString(), ct);
        Progress($"trial {result.Trial} took over {Goal.TotalMilliseconds:0} ms: every node's log since the kill is in {path}");
    }

    /// <summary>The agent container's main process, whose network namespace holds its balancer.</summary>
    private static async Task<int> PidAsync(INodeProvider provider, LabNode node, CancellationToken ct)
    {
        var inspect = JsonNode.Parse(await provider.DescribeAsync(node, ct));
        var description = inspect is JsonArray array ? array.FirstOrDefault() : inspect;
        return description?["State"]?["Pid"]?.GetValue<int>() is > 0 and var pid
            ? pid
            : throw new InvalidOperationException($"{node.Name} has no running process to reach its balancer through");
    }

    /// <summary>Whether the server's embedded member leads the datastore, from etcdctl run inside its node.</summary>
    private static async Task<bool> IsLeaderAsync(INodeProvider provider, LabNode server, CancellationToken ct)
    {
        var result = await provider.ExecAsync(
            server,
            ["etcdctl", "--endpoints=https://127.0.0.1:2379", $"--cacert={EtcdTls}/server-ca.crt", $"--cert={EtcdTls}/server-client.crt", $"--key={EtcdTls}/server-client.key", "--command-timeout=3s", "endpoint", "status", "-w", "json"],
            ct);
        var status = result.ExitCode == 0 ? (JsonNode.Parse(result.Stdout) as JsonArray)?.FirstOrDefault()?["Status"] : null;
        return status?["header"]?["member_id"]?.GetValue<ulong>() is { } id && status["leader"]?.GetValue<ulong>() == id;
    }

    private static string FromBase64(string? text) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(text ?? throw new InvalidOperationException("the lab kubeconfig has no inline client certificate")));

    private static void Progress(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
