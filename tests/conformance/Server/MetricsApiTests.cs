using System.Globalization;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// <c>kubectl top</c> (1.33 and 1.27) against the packaged metrics-server a k3s server runs: a server with a kubelet
/// and an agent whose kubelet API is reachable only through its tunnel, a pod burning a CPU on the agent and an idle
/// one on the server. Discovery lists <c>metrics.k8s.io/v1beta1</c>; <c>top node</c> shows both nodes once two
/// scrapes are in; <c>top pod</c> shows the burner well above the idle pod, per container too; label selectors pick
/// pods; a pod or node without metrics is metrics-server's 404, one that does not exist its lister's; <c>kubectl get
/// podmetrics</c> prints metrics-server's table. A server started with <c>--disable metrics-server</c> has no
/// such group, and kubectl says the Metrics API is not available.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class MetricsApiTests : IAsyncLifetime
{
    private readonly LoopbackCluster _cluster = new("k3slab-top-");
    private readonly int _kubeletPort = FreePorts.Next();
    private readonly int _loadBalancerPort = FreePorts.Next();

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task KubectlTop_NodesAndPods_FromBothKubelets()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 1, runsKubelet: true);
        server.Start("--cluster-init");
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);
        var agent = _cluster.Agent("a1", 11, _loadBalancerPort);
        agent.Start(server.Url, server.AgentToken, "--kubelet-arg", "address=127.0.0.1", "--kubelet-arg", $"port={_kubeletPort}");
        await server.WaitNodesReadyAsync(["s1", "a1"], TimeSpan.FromSeconds(120), ct);

        var resources = await server.KubectlAsync("1.33", ct, "api-resources", "--api-group=metrics.k8s.io", "--no-headers");
        resources.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Should().Equal("nodes metrics.k8s.io/v1beta1 false NodeMetrics", "pods metrics.k8s.io/v1beta1 true PodMetrics");

        await server.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: burner, namespace: default, labels: {app: burner}}
            spec:
              nodeName: a1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: spin, image: busybox, command: [sh, -c, 'while :; do :; done']}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: idle, namespace: default, labels: {app: idle}}
            spec:
              nodeName: s1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: sleep, image: busybox, command: [sh, -c, 'exec sleep 3600']}
            """, ct);

        foreach (var version in Kubectl.SupportedVersions)
        {
            var nodes = await Eventually.UntilAsync(() => server.KubectlAsync(version, ct, "top", "node", "--no-headers"),
                r => r.ExitCode == 0 && Rows(r.Stdout).Count == 2 && Rows(r.Stdout).All(row => !row.Contains("<unknown>")), TimeSpan.FromSeconds(90), ct);
            Rows(nodes.Stdout).Select(r => r[0]).Should().Equal("a1", "s1");
            Rows(nodes.Stdout).Should().AllSatisfy(r => r[1].Should().MatchRegex("^[0-9]+m$"));
            Rows(nodes.Stdout).Should().AllSatisfy(r => r[3].Should().MatchRegex("^[0-9]+Mi$"));

            var pods = await Eventually.UntilAsync(() => server.KubectlAsync(version, ct, "top", "pod", "--no-headers"),
                r => r.ExitCode == 0 && Rows(r.Stdout).Count == 2, TimeSpan.FromSeconds(90), ct);
            var byName = Rows(pods.Stdout).ToDictionary(r => r[0], r => Millicores(r[1]));
            byName["burner"].Should().BeGreaterThan(200, $"a busy loop takes a large share of a core\n{pods.Stdout}");
            byName["idle"].Should().BeLessThan(50, $"sleep uses next to nothing\n{pods.Stdout}");
        }

        var selected = await server.KubectlAsync("1.33", ct, "top", "pod", "-l", "app=idle", "--containers", "--no-headers");
        Rows(selected.Stdout).Select(r => (r[0], r[1])).Should().Equal([("idle", "sleep")], selected.Stdout);
        var missing = await server.KubectlAsync("1.33", ct, "top", "pod", "nothing-here");
        missing.Stderr.Should().Contain("pod \"nothing-here\" not found", "no such pod is the pod lister's own 404");
        await server.ApplyAsync("""
            apiVersion: v1
            kind: Pod
            metadata: {name: pending, namespace: default}
            spec:
              nodeName: nowhere
              containers:
              - {name: app, image: busybox, command: [sleep, '3600']}
            """, ct);
        var pending = await server.KubectlAsync("1.33", ct, "top", "pod", "pending");
        pending.Stderr.Should().Contain("podmetrics.metrics.k8s.io \"default/pending\" not found", "a pod that exists without metrics");
        (await server.KubectlAsync("1.33", ct, "top", "node", "nowhere")).Stderr.Should().Contain("node \"nowhere\" not found");

        var raw = await server.KubectlAsync("1.33", ct, "get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes/a1");
        raw.Stdout.Should().Contain("\"kind\":\"NodeMetrics\"").And.Contain("\"window\":\"");
        // The view role reads pod metrics in its namespace, as k3s aggregates system:aggregated-metrics-reader into it;
        // node metrics are cluster-wide, beyond a namespace's binding.
        (await server.KubectlAsync("1.33", ct, "create", "rolebinding", "jane-view", "--clusterrole=view", "--user=jane", "-n", "default")).ExitCode.Should().Be(0);
        var asJane = await server.KubectlAsync("1.33", ct, "top", "pod", "--as=jane", "--no-headers");
        Rows(asJane.Stdout).Select(r => r[0]).Should().Equal(["burner", "idle"], asJane.Stderr);
        (await server.KubectlAsync("1.33", ct, "top", "node", "--as=jane")).Stderr.Should().Contain("forbidden");

        var table = await server.KubectlAsync("1.33", ct, "get", "podmetrics", "burner");
        Rows(table.Stdout)[0].Should().Equal("NAME", "CPU", "MEMORY", "WINDOW");
        Rows(table.Stdout)[1][0].Should().Be("burner");
    }

    [Fact]
    public async Task KubectlTop_MetricsServerDisabled_MetricsApiNotAvailable()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 21);
        server.Start("--disable", "metrics-server");
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);

        foreach (var version in Kubectl.SupportedVersions)
        {
            var top = await server.KubectlAsync(version, ct, "top", "node");
            top.ExitCode.Should().NotBe(0);
            top.Stderr.Should().Contain("Metrics API not available");
        }

        var raw = await server.KubectlAsync("1.33", ct, "get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes");
        raw.ExitCode.Should().NotBe(0);
        raw.Stderr.Should().Contain("NotFound");
    }

    private static List<string[]> Rows(string stdout) =>
        [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];

    private static int Millicores(string cpu) => int.Parse(cpu.TrimEnd('m'), CultureInfo.InvariantCulture);
}
