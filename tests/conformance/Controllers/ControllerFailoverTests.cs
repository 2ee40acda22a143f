using System.Diagnostics;
using K3sLab.ConformanceTests.Server;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// kube-controller-manager and kube-scheduler are elected across three real servers on their Leases, as upstream
/// runs them: exactly one holder each; kill -9 the controller manager's holder and another server takes the lease
/// within its duration (15 s, upstream's default) plus a retry period, and reconciliation carries on there: a scale-up
/// issued after the kill completes.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ControllerFailoverTests : IAsyncLifetime
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private readonly LoopbackCluster _cluster = new("k3slab-kcm-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task KillingTheControllerManagerLeader_AnotherServerTakesOverWithinTheLeaseDuration()
    {
        var ct = TestContext.Current.CancellationToken;
        var servers = new[] { _cluster.Server("c1", 1), _cluster.Server("c2", 2), _cluster.Server("c3", 3) };
        servers[0].Start("--cluster-init");
        await servers[0].WaitListeningAsync(Start, ct);
        servers[1].Start("--server", servers[0].Url, "--token", servers[0].Token);
        servers[2].Start("--server", servers[0].Url, "--token", servers[0].Token);
        await servers[1].WaitListeningAsync(Start, ct);
        await servers[2].WaitListeningAsync(Start, ct);

        var holder = await HolderAsync(servers[1], "kube-controller-manager", _ => true, ct);
        var scheduler = await HolderAsync(servers[1], "kube-scheduler", _ => true, ct);
        var leader = servers.Single(s => holder.StartsWith(s.Name + "_", StringComparison.Ordinal));
        scheduler.Should().MatchRegex("^c[123]_", "the scheduler is elected on its own lease");

        // A Deployment of 0 replicas exists before the kill; the scale-up comes after it.
        (await KubectlAsync(servers[1], ct, "create", "deployment", "after", "--image=pause", "--replicas=0")).ExitCode.Should().Be(0);

        var killedAt = Stopwatch.StartNew();
        await leader.KillAsync();
        var survivor = servers.First(s => s != leader);
        var newHolder = await HolderAsync(survivor, "kube-controller-manager", h => !h.StartsWith(leader.Name + "_", StringComparison.Ordinal), ct);
        var takeover = killedAt.Elapsed;
        newHolder.Should().MatchRegex("^c[123]_").And.NotStartWith(leader.Name + "_");
        takeover.Should().BeLessThan(TimeSpan.FromSeconds(15 + 2 + 3), "the lease lapses 15 s after its last renewal (2 s retry period) and the next try takes it");

        // Reconciliation goes on under the new leader: a scale-up issued after the kill completes (the servers run no
        // kubelet, so the three pods exist unscheduled), and a namespace made after the kill gets its default ServiceAccount.
        (await KubectlAsync(survivor, ct, "scale", "deployment", "after", "--replicas=3")).ExitCode.Should().Be(0);
        var scaled = await Eventually.UntilAsync(() => KubectlAsync(survivor, ct, "get", "replicasets", "-l", "app=after", "-o", "jsonpath={.items[*].status.replicas}"), r => r.Stdout.Trim() == "3", TimeSpan.FromSeconds(30), ct);
        scaled.Stdout.Trim().Should().Be("3", $"the new leader's ReplicaSet controller creates the pods of the scale-up: {scaled.Stderr}");
        (await KubectlAsync(survivor, ct, "create", "namespace", "after-failover")).ExitCode.Should().Be(0);
        var account = await Eventually.UntilAsync(() => KubectlAsync(survivor, ct, "get", "serviceaccount", "default", "-n", "after-failover", "-o", "name"), r => r.ExitCode == 0, TimeSpan.FromSeconds(20), ct);
        account.Stdout.Trim().Should().Be("serviceaccount/default", account.Stderr);
        TestContext.Current.SendDiagnosticMessage($"controller manager takeover after kill -9 of {leader.Name}: {takeover.TotalSeconds:F1} s");
    }

    private static async Task<string> HolderAsync(ServerNode server, string lease, Func<string, bool> accept, CancellationToken ct)
    {
        var result = await Eventually.UntilAsync(
            () => KubectlAsync(server, ct, "get", "lease", lease, "-n", "kube-system", "-o", "jsonpath={.spec.holderIdentity}"),
            r => r.ExitCode == 0 && r.Stdout.Length > 0 && accept(r.Stdout),
            TimeSpan.FromSeconds(40),
            ct);
        result.ExitCode.Should().Be(0, result.Stderr);
        accept(result.Stdout).Should().BeTrue($"the {lease} lease is held by {result.Stdout}\n{server.Log}");
        return result.Stdout;
    }

    private static Task<KubectlResult> KubectlAsync(ServerNode node, CancellationToken ct, params string[] args) =>
        Kubectl.RunAsync("1.33", node.Kubeconfig, ct, ["--server", node.Url, "--request-timeout", "10s", .. args]);
}
