using K3sLab.Lab.Cluster;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>
/// The cluster DNS in a real lab cluster, as a k3d user meets CoreDNS: the <c>kube-system/kube-dns</c> Service on
/// 10.43.0.10 with the server as its endpoint; a pod on an agent gets the kubelet's resolv.conf (the cluster DNS, the
/// namespace's search path, ndots:5); through it, glibc resolves a Service by its short and full names to its cluster
/// IP and connects to it by name, resolves a headless Service to its pod's address, and gets NXDOMAIN for a Service
/// that does not exist; a Service created afterwards resolves within seconds.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class LabClusterDnsTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private const string Manifest = """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-direct}
        spec:
          clusterIP: None
          selector: {app: web}
          ports: [{name: http, port: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web, labels: {app: web}}
        spec:
          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: node-role.kubernetes.io/control-plane, operator: DoesNotExist}]}]}}}
          containers:
          - name: web
            image: debian
            command: [perl, -MIO::Socket::INET, -e, '$s=IO::Socket::INET->new(LocalPort=>8080,Listen=>16,ReuseAddr=>1) or die $!; while($c=$s->accept){while(<$c>){last if /^\r?$/} print $c "HTTP/1.0 200 OK\r\n\r\nhello from $ENV{HOSTNAME}\n"; close $c}']
            readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client}
        spec:
          affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: node-role.kubernetes.io/control-plane, operator: DoesNotExist}]}]}}}
          containers:
          - {name: client, image: debian, command: [sleep, infinity]}
        """;

    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Pods_ResolveServicesByName_ThroughKubeDns()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await new K3sLabClusterBuilder().WithName("dn" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3])).WithServers(1).WithAgents(1).BuildAndStartAsync(ct);
        await LabWorkloads.ApplyAsync(cluster, Manifest, ct);

        var kubeDns = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "-n", "kube-system", "get", "svc", "kube-dns", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[*].protocol}");
        kubeDns.Stdout.Should().Be("10.43.0.10 UDP TCP", kubeDns.Stderr);
        var serverAddress = cluster.Node("server-0").Node.Address.ToString();
        var endpoints = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "-n", "kube-system", "get", "endpointslice", "kube-dns", "-o", "jsonpath={.endpoints[*].addresses[0]}"),
            r => r.Stdout == serverAddress,
            Within,
            ct);
        endpoints.Stdout.Should().Be(serverAddress, "the cluster DNS runs in the server");

        var ready = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "wait", "--for=condition=Ready", "pod/web", "pod/client", "--timeout=120s");
        ready.ExitCode.Should().Be(0, ready.Stdout + ready.Stderr);
        var resolvConf = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "exec", "client", "--", "cat", "/etc/resolv.conf");
        var lines = resolvConf.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().Contain("nameserver 10.43.0.10", resolvConf.Stderr);
        lines.Should().ContainSingle(l => l.StartsWith("search default.svc.cluster.local svc.cluster.local cluster.local", StringComparison.Ordinal));
        lines.Should().Contain("options ndots:5");

        var clusterIp = (await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")).Stdout.Trim();
        var podIp = (await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "pod", "web", "-o", "jsonpath={.status.podIP}")).Stdout.Trim();
        (await ResolveAsync(cluster, "web", ct)).Should().Be($"{clusterIp} web.default.svc.cluster.local", "the short name goes through the search path");
        (await ResolveAsync(cluster, "web.default.svc.cluster.local", ct)).Should().Be($"{clusterIp} web.default.svc.cluster.local");
        (await ResolveAsync(cluster, "web-direct", ct)).Should().Be($"{podIp} web-direct.default.svc.cluster.local", "a headless Service resolves to its ready pods");

        // The agent's service proxy programs the ClusterIP a moment after the endpoints appear (as kube-proxy syncs),
        // so the first connect can be refused (CI saw it once); the name must reach the pod within the bound.
        var byName = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "exec", "client", "--", "bash", "-c", "exec 3<>/dev/tcp/web/80 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && tail -n1 <&3"),
            r => r.Stdout.Trim() == "hello from web",
            Within,
            ct);
        byName.Stdout.Trim().Should().Be("hello from web", byName.Stderr);

        var missing = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "exec", "client", "--", "getent", "hosts", "nosuchservice.default.svc.cluster.local");
        missing.ExitCode.Should().Be(2, "getent's exit code for a name that does not exist (NXDOMAIN)");

        var created = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "create", "service", "clusterip", "late", "--tcp=81:8080");
        created.ExitCode.Should().Be(0, created.Stderr);
        var lateIp = (await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "svc", "late", "-o", "jsonpath={.spec.clusterIP}")).Stdout.Trim();
        (await ResolveAsync(cluster, "late", ct)).Should().Be($"{lateIp} late.default.svc.cluster.local", "a new Service is answered as soon as the server's cache has it");
    }

    /// <summary>What <c>getent hosts</c> (glibc's resolver, as any program in a pod uses it) prints for the name in the client pod, spaces collapsed.</summary>
    private static async Task<string> ResolveAsync(RunningCluster cluster, string name, CancellationToken ct)
    {
        var result = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "exec", "client", "--", "getent", "hosts", name),
            r => r.ExitCode == 0,
            Within,
            ct);
        result.ExitCode.Should().Be(0, $"{name}: {result.Stderr}");
        return string.Join(' ', result.Stdout.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries));
    }
}
