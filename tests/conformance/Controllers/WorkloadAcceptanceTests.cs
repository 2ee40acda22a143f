using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.ConformanceTests.Server;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// Issue 6's acceptance on real processes: one server (scheduler and controllers, no kubelet of its own) and three
/// agents whose kubelets run the pods as processes, driven with kubectl 1.33.
/// <list type="bullet">
/// <item>A Deployment of 30 replicas becomes Available, spread over the three nodes; <c>kubectl rollout status</c> returns.</item>
/// <item>An image change rolls without breaking maxUnavailable or maxSurge; <c>rollout undo</c> restores the old template.</item>
/// <item>A DaemonSet runs one pod per node. A Job with 5 completions completes.</item>
/// <item>Deleting a namespace of 100 objects leaves nothing behind.</item>
/// <item>An agent killed with -9 goes NotReady within the node monitor grace period (20 s here). Its pods are
/// evicted after their tolerationSeconds (15 s here) and run again on the other nodes. Both times are reported.</item>
/// </list>
/// </summary>
[Trait("Category", "Conformance")]
public sealed class WorkloadAcceptanceTests : IAsyncLifetime
{
    private const int Replicas = 30;
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private readonly LoopbackCluster _cluster = new("k3slab-workload-");
    private ServerNode? _server;

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task OneServerThreeAgents_WorkloadsRollHealAndMoveOffADeadNode()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _server = _cluster.Server("w0", 1);
        server.Start("--kube-controller-manager-arg", "node-monitor-grace-period=20s");
        await server.WaitListeningAsync(Start, ct);
        var token = server.AgentToken;
        var agents = Enumerable.Range(1, 3).Select(i => _cluster.Agent($"w{i}", (byte)(10 + i), FreePorts.Next())).ToArray();
        foreach (var agent in agents)
        {
            agent.Start(server.Url, token);
        }

        var registered = await Eventually.UntilAsync(() => KubectlAsync(ct, "get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}"), r => agents.All(a => r.Stdout.Contains($"{a.Name}=True", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), ct);
        agents.Should().OnlyContain(a => registered.Stdout.Contains($"{a.Name}=True", StringComparison.Ordinal), $"three Ready agent nodes within 90 s; last: {registered.Stdout} {registered.Stderr}\n{AgentLogs(agents.Where(a => !registered.Stdout.Contains($"{a.Name}=True", StringComparison.Ordinal)))}\n--- server\n{Tail(_server!.Log)}");

        // A Deployment of 30 becomes Available, spread over the three nodes.
        await ApplyAsync(Deployment("pause"), ct);
        await RunOkAsync(ct, "rollout", "status", "deployment/web", "--timeout=180s");
        var spread = await PodsPerNodeAsync("app=web", ct);
        spread.Values.Sum().Should().Be(Replicas);
        spread.Keys.Should().BeEquivalentTo(agents.Select(a => a.Name));
        spread.Values.Should().OnlyContain(n => n >= 5, $"the scheduler spreads a controller's pods: {Describe(spread)}");

        // An image change rolls within maxUnavailable 25% (7 of 30) and maxSurge 25% (8).
        var sampling = SampleRolloutAsync(ct);
        await RunOkAsync(ct, "set", "image", "deployment/web", "app=registry.k8s.io/pause:3.10");
        await RunOkAsync(ct, "rollout", "status", "deployment/web", "--timeout=240s");
        var (minAvailable, maxPods) = await sampling.Stop();
        minAvailable.Should().BeGreaterThanOrEqualTo(Replicas - 7, "maxUnavailable 25% of 30 rounds down to 7");
        maxPods.Should().BeLessThanOrEqualTo(Replicas + 8, "maxSurge 25% of 30 rounds up to 8");

        await RunOkAsync(ct, "rollout", "undo", "deployment/web");
        await RunOkAsync(ct, "rollout", "status", "deployment/web", "--timeout=240s");
        (await RunOkAsync(ct, "get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")).Should().Be("pause");

        // One DaemonSet pod per node; a Job of 5 completions completes.
        await ApplyAsync(DaemonSet(), ct);
        await RunOkAsync(ct, "rollout", "status", "daemonset/agentd", "--timeout=120s");
        (await PodsPerNodeAsync("app=agentd", ct)).Should().BeEquivalentTo(agents.ToDictionary(a => a.Name, _ => 1));
        await ApplyAsync(Job(), ct);
        var complete = await KubectlAsync(ct, "wait", "--for=condition=complete", "job/five", "--timeout=180s");
        complete.ExitCode.Should().Be(0, $"job/five completes within 180 s: {complete.Stderr}\n{await JobStateAsync("five", agents, ct)}");
        (await RunOkAsync(ct, "get", "job", "five", "-o", "jsonpath={.status.succeeded}")).Should().Be("5");

        // A namespace of 100 objects goes away whole.
        await ApplyAsync(Bulk(), ct);
        (await RunOkAsync(ct, "get", "configmaps", "-n", "bulk", "-l", "bulk=yes", "-o", "name")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(100);
        await RunOkAsync(ct, "delete", "namespace", "bulk", "--timeout=120s");
        var leftovers = await KubectlAsync(ct, "get", "configmaps,secrets,serviceaccounts", "-n", "bulk", "-o", "name");
        leftovers.Stdout.Trim().Should().BeEmpty($"nothing of namespace bulk is left: {leftovers.Stderr}");

        // kill -9 an agent: NotReady within the grace period, its pods evicted after tolerationSeconds and run elsewhere.
        var victim = agents[2];
        var moved = (await PodsAsync("app=web", ct)).Where(p => p.Node == victim.Name).Select(p => p.Name).ToList();
        moved.Should().NotBeEmpty();
        var clock = Stopwatch.StartNew();
        await victim.KillAsync();
        await UntilAsync(() => KubectlAsync(ct, "get", "node", victim.Name, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"), r => r.Stdout == "Unknown", TimeSpan.FromSeconds(60), $"{victim.Name} goes Ready=Unknown", ct);
        var notReady = clock.Elapsed;
        var taints = await RunOkAsync(ct, "get", "node", victim.Name, "-o", "jsonpath={.spec.taints[*].key}");
        taints.Should().Contain("node.kubernetes.io/unreachable");
        await UntilAsync(() => KubectlAsync(ct, "get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name} {end}"), r => moved.All(m => r.Stdout.Contains(m, StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "the dead node's pods are evicted", ct);
        var evicted = clock.Elapsed;
        await UntilAsync(
            async () =>
            {
                var running = (await PodsAsync("app=web", ct)).Where(p => p.Running && !p.Deleting).ToList();
                return running.Count == Replicas && running.All(p => p.Node != victim.Name);
            },
            TimeSpan.FromSeconds(120),
            "30 web pods run on the two live nodes",
            ct);
        var replaced = clock.Elapsed;
        notReady.Should().BeLessThan(TimeSpan.FromSeconds(20 + 5 + 5), "the grace period is 20 s and nodes are checked every 5 s");
        (evicted - notReady).Should().BeGreaterThan(TimeSpan.FromSeconds(10), "pods tolerate the unreachable taint for 15 s").And.BeLessThan(TimeSpan.FromSeconds(45));
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture, $"after kill -9 of {victim.Name}: NotReady at {notReady.TotalSeconds:F1} s (grace 20 s), {moved.Count} pods evicted at {evicted.TotalSeconds:F1} s (tolerationSeconds 15), all 30 running elsewhere at {replaced.TotalSeconds:F1} s"));
    }

    private static string Deployment(string image) => """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: REPLICAS
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 1
              tolerations:
              - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 15}
              - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 15}
              containers:
              - name: app
                image: IMAGE
                resources:
                  requests: {cpu: 10m, memory: 8Mi}
        """.Replace("REPLICAS", Replicas.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("IMAGE", image, StringComparison.Ordinal);

    private static string DaemonSet() => """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agentd}
        spec:
          selector: {matchLabels: {app: agentd}}
          template:
            metadata: {labels: {app: agentd}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: d, image: pause}
        """;

    private static string Job() => """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: five}
        spec:
          completions: 5
          parallelism: 2
          template:
            spec:
              restartPolicy: Never
              containers:
              - {name: work, image: busybox, command: [sh, -c, "sleep 1; exit 0"]}
        """;

    private static string Bulk()
    {
        var text = new StringBuilder("apiVersion: v1\nkind: Namespace\nmetadata: {name: bulk}\n");
        for (var i = 0; i < 100; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i:D3}, namespace: bulk, labels: {{bulk: \"yes\"}}}}\ndata: {{i: \"{i}\"}}\n");
        }

        return text.ToString();
    }

    private static string Describe(Dictionary<string, int> spread) => string.Join(", ", spread.Select(p => $"{p.Key}={p.Value}"));

    private async Task<Dictionary<string, int>> PodsPerNodeAsync(string selector, CancellationToken ct) =>
        (await PodsAsync(selector, ct)).Where(p => !p.Deleting).GroupBy(p => p.Node, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private async Task<List<(string Name, string Node, bool Running, bool Deleting)>> PodsAsync(string selector, CancellationToken ct)
    {
        var json = await RunOkAsync(ct, "get", "pods", "-l", selector, "-o", "json");
        return [.. (JsonNode.Parse(json)!["items"] as JsonArray ?? []).OfType<JsonObject>().Select(p => (
            p["metadata"]!["name"]!.GetValue<string>(),
            p["spec"]?["nodeName"]?.GetValue<string>() ?? string.Empty,
            p["status"]?["phase"]?.GetValue<string>() == "Running",
            p["metadata"]?["deletionTimestamp"] is not null))];
    }

    /// <summary>Samples the Deployment's available replicas and its pod count every 300 ms until stopped: (lowest available, highest pod count).</summary>
    private RolloutSample SampleRolloutAsync(CancellationToken ct) => new(this, ct);

    private async Task ApplyAsync(string yaml, CancellationToken ct)
    {
        var file = Path.Combine(_cluster.Root.FullName, $"apply-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        await RunOkAsync(ct, "apply", "-f", file);
    }

    private async Task<string> RunOkAsync(CancellationToken ct, params string[] args)
    {
        var result = await KubectlAsync(ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)}: {result.Stderr}\n{Tail(_server!.Log)}");
        return result.Stdout;
    }

    private Task<KubectlResult> KubectlAsync(CancellationToken ct, params string[] args) =>
        Kubectl.RunAsync("1.33", _server!.Kubeconfig, ct, ["--server", _server.Url, "--request-timeout", "30s", .. args]);

    private async Task UntilAsync(Func<Task<KubectlResult>> run, Func<KubectlResult, bool> done, TimeSpan within, string what, CancellationToken ct)
    {
        var result = await Eventually.UntilAsync(run, done, within, ct);
        done(result).Should().BeTrue($"{what} within {within.TotalSeconds:0} s; last: {result.Stdout} {result.Stderr}\n{Tail(_server!.Log)}");
    }

    private async Task UntilAsync(Func<Task<bool>> check, TimeSpan within, string what, CancellationToken ct)
    {
        var ok = await Eventually.UntilAsync(check, r => r, within, ct);
        ok.Should().BeTrue($"{what} within {within.TotalSeconds:0} s\n{Tail(_server!.Log)}");
    }

    /// <summary>What a stuck Job looks like: its status, its pods with their phases and finalizers, and the server's job-controller and scheduler lines.</summary>
    private async Task<string> JobStateAsync(string job, IEnumerable<AgentNode> agents, CancellationToken ct)
    {
        var status = await KubectlAsync(ct, "get", "job", job, "-o", "jsonpath={.status}");
        var pods = await KubectlAsync(ct, "get", "pods", "-l", $"job-name={job}", "-o", "jsonpath={range .items[*]}{.metadata.name} node={.spec.nodeName} phase={.status.phase} finalizers={.metadata.finalizers} deleting={.metadata.deletionTimestamp} reason={.status.containerStatuses[0].state}{\"\\n\"}{end}");
        var events = await KubectlAsync(ct, "get", "events", "--field-selector", $"involvedObject.name={job}", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}");
        var lines = _server!.Log.Split('\n').Where(l => l.Contains("job", StringComparison.OrdinalIgnoreCase) || l.Contains("sched", StringComparison.OrdinalIgnoreCase) || l.Contains("warn", StringComparison.OrdinalIgnoreCase) || l.Contains("fail", StringComparison.OrdinalIgnoreCase));
        var kubelets = agents.Select(a => $"--- agent {a.Name} lines about {job}\n{Tail(string.Join('\n', a.Log.Split('\n').Where(l => l.Contains(job + "-", StringComparison.Ordinal))))}");
        return $"--- job status\n{status.Stdout}{status.Stderr}\n--- pods\n{pods.Stdout}{pods.Stderr}\n--- events\n{events.Stdout}{events.Stderr}\n--- server lines about jobs, scheduling and failures\n{Tail(string.Join('\n', lines))}\n{string.Join('\n', kubelets)}";
    }

    private static string Tail(string log) => log.Length > 6000 ? log[^6000..] : log;

    private static string AgentLogs(IEnumerable<AgentNode> agents) => string.Join("\n", agents.Select(a => $"--- agent {a.Name}\n{Tail(a.Log)}"));

    /// <summary>A background sampler of a rollout's availability and pod count.</summary>
    private sealed class RolloutSample
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task<(int MinAvailable, int MaxPods)> _loop;

        public RolloutSample(WorkloadAcceptanceTests test, CancellationToken ct)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _loop = Task.Run(async () =>
            {
                var (minAvailable, maxPods) = (int.MaxValue, 0);
                while (!_stop.IsCancellationRequested)
                {
                    var result = await test.KubectlAsync(CancellationToken.None, "get", "deployment", "web", "-o", "jsonpath={.status.availableReplicas}");
                    if (result.ExitCode == 0 && int.TryParse(result.Stdout, CultureInfo.InvariantCulture, out var available))
                    {
                        minAvailable = Math.Min(minAvailable, available);
                    }

                    var pods = await test.PodsAsync("app=web", CancellationToken.None);
                    maxPods = Math.Max(maxPods, pods.Count(p => !p.Deleting));
                    await Task.Delay(300, CancellationToken.None);
                }

                return (minAvailable, maxPods);
            });
        }

        public async Task<(int MinAvailable, int MaxPods)> Stop()
        {
            await _stop.CancelAsync();
            var result = await _loop;
            _stop.Dispose();
            return result;
        }
    }
}
