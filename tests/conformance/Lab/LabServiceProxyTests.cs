using K3sLab.Lab.Cluster;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Lab;

/// <summary>
/// The nodes' service proxy (k3s's embedded kube-proxy, iptables mode) in a real lab cluster: a Deployment's two
/// pods on two agents behind a NodePort Service answer through the cluster IP from a server that runs neither, with
/// both pods answering; the node port answers this machine through the server's address (masqueraded to the pod's
/// node); with <c>sessionAffinity: ClientIP</c> a client stays on one pod; an external IP leads to the Service; pods are given the <c>kubernetes</c> Service's cluster IP, which reaches the API server from an agent, and the
/// service links of their namespace; a Service scaled to no
/// endpoints refuses connections at once (its first SYN), and a deleted Service leaves no chain behind.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class LabServiceProxyTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private const string Manifest = """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          type: NodePort
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: http, nodePort: 30080}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              topologySpreadConstraints:
              - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}
              affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: node-role.kubernetes.io/control-plane, operator: DoesNotExist}]}]}}}
              containers:
              - name: web
                image: debian
                command: [perl, -MIO::Socket::INET, -e, '$s=IO::Socket::INET->new(LocalPort=>8080,Listen=>16,ReuseAddr=>1) or die $!; while($c=$s->accept){while(<$c>){last if /^\r?$/} print $c "HTTP/1.0 200 OK\r\nX-Client: ".$c->peerhost."\r\n\r\n$ENV{HOSTNAME}\n"; close $c}']
                ports: [{containerPort: 8080, name: http}]
                readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
        """;

    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Services_ClusterIpAndNodePort_ReachPodsOnOtherNodes_AndNoEndpointsIsRefused()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await new K3sLabClusterBuilder().WithName("px" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3])).WithServers(1).WithAgents(2).BuildAndStartAsync(ct);
        await LabWorkloads.ApplyAsync(cluster, Manifest, ct);

        var rollout = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "rollout", "status", "deploy/web", "--timeout=120s");
        rollout.ExitCode.Should().Be(0, rollout.Stdout + rollout.Stderr);
        var pods = (await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName}{\"\\n\"}{end}")).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        pods.Select(p => p[1]).Should().BeEquivalentTo([$"k3slab-{cluster.Name}-agent-0", $"k3slab-{cluster.Name}-agent-1"], "one pod per agent, none on the server");
        var names = pods.Select(p => p[0]).ToList();
        var clusterIp = (await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")).Stdout.Trim();

        // Twenty requests through the cluster IP from the server: every one answered by a pod, both pods answering
        // (all twenty on one pod would happen with probability 2^-19 under equal shares).
        var server = cluster.Node("server-0");
        var loop = $"for i in $(seq 20); do exec 3<>/dev/tcp/{clusterIp}/80 || exit 1; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; tail -n1 <&3; exec 3<&-; done";
        var answered = await Eventually.UntilAsync(() => server.ExecAsync(["bash", "-c", loop], ct), r => r.ExitCode == 0 && r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 20, Within, ct);
        var answers = answered.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        answers.Should().HaveCount(20, answered.Stderr).And.OnlyContain(a => names.Contains(a));
        answers.Distinct().Should().HaveCount(2, "the proxy balances over both endpoints");

        // Session affinity: once the server's proxy has the rules, all twenty connections go to one pod (without
        // affinity, 2^-19).
        var patched = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "patch", "svc", "web", "-p", "{\"spec\":{\"sessionAffinity\":\"ClientIP\"}}");
        patched.ExitCode.Should().Be(0, patched.Stderr);
        await Eventually.UntilAsync(() => server.ExecAsync(["iptables-save", "-t", "nat"], ct), r => r.Stdout.Contains("--rcheck --seconds 10800", StringComparison.Ordinal), Within, ct);
        var sticky = await server.ExecAsync(["bash", "-c", loop], ct);
        var stuck = sticky.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        stuck.Should().HaveCount(20, sticky.Stderr).And.OnlyContain(a => a == stuck[0], "sessionAffinity: ClientIP keeps a client on one endpoint");
        names.Should().Contain(stuck[0]);

        // An external IP: agent-0's address on the Service's port (where nothing listens) leads to the pods from the
        // server, through the external chain.
        var agentAddress = cluster.Node("agent-0").Node.Address.ToString();
        var external = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "patch", "svc", "web", "-p", $"{{\"spec\":{{\"externalIPs\":[\"{agentAddress}\"]}}}}");
        external.ExitCode.Should().Be(0, external.Stderr);
        await Eventually.UntilAsync(() => server.ExecAsync(["iptables-save", "-t", "nat"], ct), r => r.Stdout.Contains("default/web:http external IP", StringComparison.Ordinal), Within, ct);
        var viaExternal = await server.ExecAsync(["bash", "-c", $"exec 3<>/dev/tcp/{agentAddress}/80 || exit 1; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; tail -n1 <&3"], ct);
        viaExternal.Stdout.Trim().Should().Be(stuck[0], "an external IP leads to the Service (and keeps the client's affinity): " + viaExternal.Stderr);

        // The node port, from this machine through the server's address: the pods are on the agents.
        var viaNodePort = await LabWorkloads.GetLastLineAsync(server.Node.Address.ToString(), 30080, ct);
        names.Should().Contain(viaNodePort);

        // The API server's Service, from a pod on an agent: pods are given its cluster IP, as kube gives it.
        var agent = cluster.Node("agent-0");
        var api = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "exec", names[0], "--", "bash", "-c", "echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT; echo $WEB_SERVICE_HOST:$WEB_SERVICE_PORT_HTTP; exec 3<>/dev/tcp/$KUBERNETES_SERVICE_HOST/$KUBERNETES_SERVICE_PORT && echo connected");
        api.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(["10.43.0.1:443", $"{clusterIp}:80", "connected"], api.Stderr);
        var save = await agent.ExecAsync(["iptables-save", "-t", "nat"], ct);
        save.Stdout.Should().Contain(":KUBE-SVC-NPX46M4PTMTKRN6Y", "the kubernetes Service's chain has kube-proxy's name");

        // externalTrafficPolicy: Local. Through agent-0's node port, from the server, every connection reaches
        // agent-0's own pod and the pod sees the server's address (with Cluster, half would go to agent-1 from
        // agent-0's address). The server has no pod: its node port drops connections (they time out, as a cloud
        // balancer's probe would), rather than refusing them.
        var local = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "patch", "svc", "web", "-p", "{\"spec\":{\"externalTrafficPolicy\":\"Local\",\"sessionAffinity\":\"None\"}}");
        local.ExitCode.Should().Be(0, local.Stderr);
        await Eventually.UntilAsync(() => server.ExecAsync(["iptables-save", "-t", "filter"], ct), r => r.Stdout.Contains("default/web:http has no local endpoints", StringComparison.Ordinal), Within, ct);
        await Eventually.UntilAsync(() => agent.ExecAsync(["iptables-save", "-t", "nat"], ct), r => r.Stdout.Contains("route LOCAL traffic for default/web:http", StringComparison.Ordinal), Within, ct);
        var agentPod = pods.Single(p => p[1] == $"k3slab-{cluster.Name}-agent-0")[0];
        var viaLocal = await server.ExecAsync(["bash", "-c", $"for i in $(seq 10); do exec 3<>/dev/tcp/{agentAddress}/30080 || exit 1; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; tr -d '\\r' <&3 | grep -v '^HTTP/' | paste -sd' '; exec 3<&-; done"], ct);
        viaLocal.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(10, viaLocal.Stderr)
            .And.OnlyContain(l => l == $"X-Client: {server.Node.Address}  {agentPod}", "only the node's own pod answers, and it sees the client's address");
        var dropped = await agent.ExecAsync(["bash", "-c", $"timeout 3 bash -c 'exec 3<>/dev/tcp/{server.Node.Address}/30080'; echo $?"], ct);
        dropped.Stdout.Trim().Should().Be("124", $"a node port without a local endpoint drops the SYN (no refusal, no answer): {dropped.Stderr}");

        var scaled = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "scale", "deploy/web", "--replicas=0");
        scaled.ExitCode.Should().Be(0, scaled.Stderr);
        // Once the proxy has written the reject (before it, a stopped pod's node refuses the DNAT'd SYN), one connection
        // is refused by its first SYN: an ICMP error reaches a node's own connect() only as a soft error, and the SYN
        // would be sent again (and rejected again) a second later. The reject's packet counter tells the two apart.
        await Eventually.UntilAsync(() => server.ExecAsync(["iptables-save", "-t", "filter"], ct), r => r.Stdout.Contains("default/web:http has no endpoints", StringComparison.Ordinal), Within, ct);
        var refused = await server.ExecAsync(["bash", "-c", $"iptables -w 5 -Z KUBE-SERVICES; (exec 3<>/dev/tcp/{clusterIp}/80) && echo connected; iptables -w 5 -L KUBE-SERVICES -v -n -x"], ct);
        refused.Stderr.Should().Contain("Connection refused", "a Service without endpoints is rejected, not left to time out");
        refused.Stdout.Split('\n').Should().ContainSingle(l => l.Contains("default/web:http has no endpoints", StringComparison.Ordinal))
            .Which.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0].Should().Be("1", "one SYN, refused at once: " + refused.Stdout);

        var deleted = await Kubectl.RunAsync("1.33", cluster.Kubeconfig, ct, "delete", "svc", "web");
        deleted.ExitCode.Should().Be(0, deleted.Stderr);
        var cleaned = await Eventually.UntilAsync(() => agent.ExecAsync(["iptables-save"], ct), r => r.ExitCode == 0 && !r.Stdout.Contains("default/web", StringComparison.Ordinal), Within, ct);
        cleaned.Stdout.Should().NotContain("default/web", "a deleted Service's rules and chains are removed");
    }
}
