using System.Text.Json.Nodes;
using K3sLab.ConformanceTests.Server;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// PodDisruptionBudgets as an operator meets them on a one-node server with its kubelet, with kubectl 1.27 and 1.33:
/// the disruption controller counts a 3-replica Deployment against <c>minAvailable: 2</c>, so <c>kubectl get pdb</c>
/// shows one allowed disruption; one eviction through the subresource succeeds and the next is refused with kube's
/// 429; once the replacement pod is Ready the budget allows one again. <c>kubectl drain</c> then evicts exactly one of
/// the three pods and keeps retrying the other two until its timeout, as upstream does when every pod is on the node
/// being drained: drain cordons the node first, so the evicted pod's replacement cannot be scheduled and the budget
/// never frees a second disruption. That makes the outcome deterministic (one pod evicted, two named in the timeout
/// errors) where letting replacements start elsewhere would race the retries.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class DisruptionBudgetTests : IAsyncLifetime
{
    private const string Node = "s1";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(90);
    private readonly LoopbackCluster _cluster = new("k3slab-pdb-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task MinAvailable_AllowsOneEviction_RefusesTheNext_AndDrainEvictsWhatTheBudgetAllows()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server(Node, 57, runsKubelet: true);
        server.Start();
        await server.WaitNodesReadyAsync([Node], TimeSpan.FromSeconds(90), ct);

        await server.ApplyAsync("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: default}
            spec:
              replicas: 3
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers: [{name: app, image: busybox, command: [sleep, "3600"]}]
            ---
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: web, namespace: default}
            spec:
              minAvailable: 2
              selector: {matchLabels: {app: web}}
            """, ct);
        await WaitAllowedAsync(server, 1, ct);

        foreach (var version in Kubectl.SupportedVersions)
        {
            var table = await server.KubectlAsync(version, ct, "get", "pdb");
            table.ExitCode.Should().Be(0, table.Stderr);
            var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Collapse).ToList();
            lines[0].Should().Be("NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE");
            lines[1].Should().MatchRegex(@"^web 2 N/A 1 [0-9]+s$");
        }

        var budget = await BudgetAsync(server, ct);
        budget["status"]!["expectedPods"]!.GetValue<int>().Should().Be(3);
        budget["status"]!["desiredHealthy"]!.GetValue<int>().Should().Be(2);
        budget["status"]!["observedGeneration"]!.GetValue<int>().Should().Be(1);
        var condition = budget["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "DisruptionAllowed")!;
        condition["status"]!.GetValue<string>().Should().Be("True");
        condition["reason"]!.GetValue<string>().Should().Be("SufficientPods");

        // Cordoned, the evicted pod's replacement stays Pending, so the second eviction meets a spent budget whatever the timing.
        (await server.KubectlAsync(ct, "cordon", Node)).ExitCode.Should().Be(0);
        var pods = await RunningPodsAsync(server, ct);
        var evicted = await EvictAsync(server, "1.27", pods[0], ct);
        evicted.ExitCode.Should().Be(0, evicted.Stderr);
        var refused = await EvictAsync(server, "1.33", pods[1], ct);
        refused.ExitCode.Should().NotBe(0);
        refused.Stderr.Should().Contain("Cannot evict pod as it would violate the pod's disruption budget.");
        var charged = await BudgetAsync(server, ct);
        charged["status"]!["disruptionsAllowed"]!.GetValue<int>().Should().Be(0);

        (await server.KubectlAsync(ct, "uncordon", Node)).ExitCode.Should().Be(0);
        await Eventually.UntilAsync(() => ReadyPodsAsync(server, ct), ready => ready.Count == 3 && !ready.Contains(pods[0]), Within, ct);
        await WaitAllowedAsync(server, 1, ct);

        var before = await RunningPodsAsync(server, ct);
        var drain = await server.KubectlAsync("1.33", ct, "drain", Node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=15s");
        drain.ExitCode.Should().NotBe(0);
        var gone = before.Where(p => drain.Stdout.Contains($"pod/{p} evicted", StringComparison.Ordinal)).ToList();
        gone.Should().ContainSingle("the budget allows one disruption and the node is cordoned, so nothing frees another");
        foreach (var kept in before.Except(gone))
        {
            drain.Stderr.Should().Contain($"error when evicting pods/\"{kept}\" -n \"default\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.")
                .And.Contain($"error when evicting pods/\"{kept}\" -n \"default\": global timeout reached: 15s");
        }

        drain.Stderr.Should().Contain($"error: unable to drain node \"{Node}\" due to error: [error when evicting pods/")
            .And.Contain($"There are pending nodes to be drained:\n {Node}\n");
        (await ReadyPodsAsync(server, ct)).Should().BeEquivalentTo(before.Except(gone));
        await WaitAllowedAsync(server, 0, ct);
    }

    private static async Task WaitAllowedAsync(ServerNode server, int allowed, CancellationToken ct) =>
        await Eventually.UntilAsync(
            () => BudgetAsync(server, ct),
            b => b["status"]?["disruptionsAllowed"]?.GetValue<int>() == allowed && b["status"]?["currentHealthy"]?.GetValue<int>() == allowed + 2,
            Within,
            ct);

    private static async Task<JsonObject> BudgetAsync(ServerNode server, CancellationToken ct)
    {
        var got = await server.KubectlAsync(ct, "get", "--raw", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web");
        return got.ExitCode == 0 ? (JsonObject)JsonNode.Parse(got.Stdout)! : [];
    }

    private static async Task<List<string>> RunningPodsAsync(ServerNode server, CancellationToken ct) =>
        [.. (await PodsAsync(server, ct)).Where(p => p["metadata"]!["deletionTimestamp"] is null).Select(p => p["metadata"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal)];

    private static async Task<List<string>> ReadyPodsAsync(ServerNode server, CancellationToken ct) =>
        [.. (await PodsAsync(server, ct))
            .Where(p => p["metadata"]!["deletionTimestamp"] is null
                && (p["status"]?["conditions"] as JsonArray ?? []).Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "True"))
            .Select(p => p["metadata"]!["name"]!.GetValue<string>())];

    private static async Task<IEnumerable<JsonNode>> PodsAsync(ServerNode server, CancellationToken ct)
    {
        var got = await server.KubectlAsync(ct, "get", "pods", "-l", "app=web", "-o", "json");
        return got.ExitCode == 0 ? JsonNode.Parse(got.Stdout)!["items"]!.AsArray().OfType<JsonNode>() : [];
    }

    private async Task<KubectlResult> EvictAsync(ServerNode server, string version, string pod, CancellationToken ct)
    {
        var body = Path.Combine(_cluster.Root.FullName, $"evict-{pod}.json");
        await File.WriteAllTextAsync(body, $$$"""{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"{{{pod}}}","namespace":"default"}}""", ct);
        return await server.KubectlAsync(version, ct, "create", "--raw", $"/api/v1/namespaces/default/pods/{pod}/eviction", "-f", body);
    }

    private static string Collapse(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Trim();
}
