using K3sLab.Lab.Cluster;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>
/// ServiceLB (k3s's klipper load balancer) in a real lab cluster, as a k3d user meets it: a LoadBalancer Service gets
/// every Ready node's address as its EXTERNAL-IP, and its port answers this machine on the address of a node that
/// runs none of its pods; with <c>loadBalancerSourceRanges</c> only those sources get through; under <c>externalTrafficPolicy: Local</c> only the pod's node is listed, and none once the
/// pod is gone; a second LoadBalancer Service on the same port stays pending (a host port is held once per node) until
/// the first is deleted; a Service changed to ClusterIP loses its addresses.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class LabServiceLbTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private const string Manifest = """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          type: LoadBalancer
          selector: {app: web}
          ports: [{name: http, port: 8081, targetPort: 8080}]
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
        """;

    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LoadBalancerService_GetsTheNodesAddresses_AndAnswersOnThem()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await new K3sLabClusterBuilder().WithName("lb" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3])).WithServers(1).WithAgents(1).BuildAndStartAsync(ct);
        await LabWorkloads.ApplyAsync(cluster, Manifest, ct);

        var server = cluster.Node("server-0").Node.Address;
        var agent = cluster.Node("agent-0").Node.Address;
        var expected = string.Join(' ', new[] { server, agent }.OrderBy(a => a.GetAddressBytes()[3]).Select(a => a.ToString()));
        (await IngressAsync(cluster, "web", r => r == expected, ct)).Should().Be(expected, "every Ready node's InternalIP, sorted");
        var ready = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "wait", "--for=condition=Ready", "pod/web", "--timeout=120s");
        ready.ExitCode.Should().Be(0, ready.Stdout + ready.Stderr);

        // The pod is on the agent; the server's address answers too, as a k3s node with an svclb pod does. Each node's
        // proxy writes its rules on its own (at most once a second after a change), so each address is waited for.
        foreach (var address in new[] { server, agent })
        {
            var answer = await Eventually.UntilAsync(() => LabWorkloads.GetLastLineAsync(address.ToString(), 8081, ct), a => a == "hello from web", Within, ct);
            answer.Should().Be("hello from web", $"the load balancer address {address}");
        }

        // loadBalancerSourceRanges: kube-proxy's firewall lets only those sources reach the load balancer addresses and
        // drops the rest (no refusal). This machine reaches the nodes from the network's gateway, outside 192.0.2.0/24.
        var network = $"{string.Join('.', server.GetAddressBytes()[..3])}.0/24";
        await PatchAsync(cluster, "{\"spec\":{\"loadBalancerSourceRanges\":[\"192.0.2.0/24\"]}}", ct);
        var blocked = await Eventually.UntilAsync(() => LabWorkloads.GetLastLineAsync(agent.ToString(), 8081, ct), a => a != "hello from web", Within, ct);
        blocked.Should().NotBe("hello from web").And.NotContainEquivalentOf("refused", "the firewall drops what it does not accept");
        await PatchAsync(cluster, $"{{\"spec\":{{\"loadBalancerSourceRanges\":[\"192.0.2.0/24\",\"{network}\"]}}}}", ct);
        (await Eventually.UntilAsync(() => LabWorkloads.GetLastLineAsync(agent.ToString(), 8081, ct), a => a == "hello from web", Within, ct)).Should().Be("hello from web", $"{network} holds this machine's address");
        await PatchAsync(cluster, "{\"spec\":{\"loadBalancerSourceRanges\":null}}", ct);

        // externalTrafficPolicy: Local gives the Service a health check node port, where each node's proxy answers
        // with its own count of the Service's endpoints: 200 on the agent (the pod's node), 503 on the server.
        var local = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "patch", "svc", "web", "-p", "{\"spec\":{\"externalTrafficPolicy\":\"Local\"}}", "-o", "jsonpath={.spec.healthCheckNodePort}");
        local.ExitCode.Should().Be(0, local.Stderr);
        var healthPort = int.Parse(local.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        async Task<string> HealthAsync(System.Net.IPAddress node)
        {
            try
            {
                using var answer = await http.GetAsync(new Uri($"http://{node}:{healthPort}/healthz"), ct);
                return $"{(int)answer.StatusCode} {(await answer.Content.ReadAsStringAsync(ct)).Replace("\n", " ", StringComparison.Ordinal).Replace("\t", string.Empty, StringComparison.Ordinal)}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                return e.Message;
            }
        }

        var onAgent = await Eventually.UntilAsync(() => HealthAsync(agent), a => a.StartsWith("200 ", StringComparison.Ordinal), Within, ct);
        onAgent.Should().Contain("\"localEndpoints\": 1,", onAgent);
        var onServer = await Eventually.UntilAsync(() => HealthAsync(server), a => a.StartsWith("503 ", StringComparison.Ordinal), Within, ct);
        onServer.Should().Contain("\"localEndpoints\": 0,", onServer);

        // Under the Local policy only the pod's node is listed, as k3s lists only nodes with a ready local endpoint;
        // with no such node left the Service is pending and gets k3s's warning.
        (await IngressAsync(cluster, "web", r => r == agent.ToString(), ct)).Should().Be(agent.ToString(), "the server has no endpoint of web");
        var podGone = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "delete", "pod", "web", "--grace-period=1");
        podGone.ExitCode.Should().Be(0, podGone.Stderr);
        (await IngressAsync(cluster, "web", r => r.Length == 0, ct)).Should().BeEmpty("no node has a ready endpoint of web");
        var warning = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "events", "--field-selector", "involvedObject.name=web,reason=UnAvailableLoadBalancer", "-o", "jsonpath={.items[*].message}"),
            r => r.Stdout.Contains("There are no available nodes for LoadBalancer", StringComparison.Ordinal),
            Within,
            ct);
        warning.Stdout.Should().Contain("There are no available nodes for LoadBalancer");

        var second = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "create", "service", "loadbalancer", "second", "--tcp=8081:8080");
        second.ExitCode.Should().Be(0, second.Stderr);
        var table = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "svc", "second", "--no-headers"),
            r => r.Stdout.Contains("<pending>", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10),
            ct);
        table.Stdout.Should().Contain("<pending>", "port 8081 is held on every node by the older Service");
        (await IngressAsync(cluster, "second", r => r.Length > 0, TimeSpan.FromSeconds(5), ct)).Should().BeEmpty("it stays pending while the older Service holds the port");

        var deleted = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "delete", "svc", "web");
        deleted.ExitCode.Should().Be(0, deleted.Stderr);
        (await IngressAsync(cluster, "second", r => r == expected, ct)).Should().Be(expected, "the port is free again");

        var patched = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "patch", "svc", "second", "-p", "{\"spec\":{\"type\":\"ClusterIP\"}}");
        patched.ExitCode.Should().Be(0, patched.Stderr);
        (await IngressAsync(cluster, "second", r => r.Length == 0, ct)).Should().BeEmpty("a ClusterIP Service has no load balancer address");
    }

    private static async Task PatchAsync(RunningCluster cluster, string patch, CancellationToken ct)
    {
        var patched = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "patch", "svc", "web", "-p", patch);
        patched.ExitCode.Should().Be(0, patched.Stderr);
    }

    private static Task<string> IngressAsync(RunningCluster cluster, string service, Func<string, bool> done, CancellationToken ct) =>
        IngressAsync(cluster, service, done, Within, ct);

    private static async Task<string> IngressAsync(RunningCluster cluster, string service, Func<string, bool> done, TimeSpan within, CancellationToken ct)
    {
        var result = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "svc", service, "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"),
            r => r.ExitCode == 0 && done(r.Stdout.Trim()),
            within,
            ct);
        return result.Stdout.Trim();
    }
}
