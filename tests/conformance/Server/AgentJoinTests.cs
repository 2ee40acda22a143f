using System.Globalization;
using System.Text.RegularExpressions;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// <c>k3s agent</c> on real processes, each on its own loopback address with its own load-balancer port: three
/// servers and two agents form a cluster of five Ready nodes; an agent whose active server dies keeps its node
/// alive through another server and takes the server back when it returns; wrong tokens end the agent with the
/// reason; a name held by another password is refused in k3s's words until <c>kubectl delete node</c> frees it;
/// deleting a server's Node removes its datastore member.
/// </summary>
[Trait("Category", "Conformance")]
public sealed partial class AgentJoinTests : IAsyncLifetime
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private readonly LoopbackCluster _cluster = new("k3slab-agent-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task ThreeServersAndTwoAgents_FiveNodesReady_AndAnAgentOutlivesItsActiveServer()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = Server("s1", 1);
        first.Start("--cluster-init");
        await first.WaitListeningAsync(Start, ct);
        string[] join = ["--server", first.Url, "--token", first.Token];
        var second = Server("s2", 2);
        var third = Server("s3", 3);
        second.Start(join);
        third.Start(join);
        var agents = new[] { Agent("a1", 11), Agent("a2", 12) };
        agents[0].Start(first.Url, first.AgentToken);

        // The second agent reads --server and --token from k3s's config file, with a label appended from a drop-in.
        var config = Path.Combine(_cluster.Root.FullName, "a2-config.yaml");
        await File.WriteAllTextAsync(config, $"server: {first.Url}\ntoken: {first.AgentToken}\nnode-label:\n  - lab=yes\n", ct);
        Directory.CreateDirectory(config + ".d");
        await File.WriteAllTextAsync(Path.Combine(config + ".d", "10-extra.yaml"), "node-label+:\n  - extra=yes\n", ct);
        agents[1].StartWithConfig(config);

        await second.WaitListeningAsync(Start, ct);
        await third.WaitListeningAsync(Start, ct);
        await first.WaitNodesReadyAsync(["s1", "s2", "s3", "a1", "a2"], TimeSpan.FromSeconds(120), ct);
        (await VotersAsync(first, ct)).Should().HaveCount(3, "the three servers are the datastore's voters");
        foreach (var (server, agent) in new[] { first, second, third }.SelectMany(s => new[] { "a1", "a2" }.Select(a => (s, a))))
        {
            // k3s keeps a /v1-k3s/connect tunnel from every agent to every server.
            await Eventually.TrueAsync(() => server.Log.Contains($"Tunnel connected for node {agent}", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"{agent} has a tunnel to {server.Name}\n{server.Log}", ct);
        }

        var labels = await KubectlAsync(first, ct, "get", "node", "a2", "-o", "jsonpath={.metadata.labels.lab}/{.metadata.labels.extra}");
        labels.Stdout.Should().Be("yes/yes", "a2's labels come from its config file and drop-in");

        // Kill the server a1's balancer is using; a1 must go on through another one.
        var a1 = agents[0];
        var servers = new[] { first, second, third };
        var active = servers.Single(s => s.Address.ToString() == ActiveServer(a1.Log)?.Split(':')[0]);
        var killedAt = DateTimeOffset.UtcNow;
        await active.KillAsync();
        var survivor = servers.First(s => s != active);
        var viaAgent = await Eventually.UntilAsync(
            () => Kubectl.RunAsync("1.33", survivor.Kubeconfig, ct, "--server", a1.LoadBalancerUrl, "--request-timeout", "5s", "get", "node", "a1", "-o", "name"),
            r => r.ExitCode == 0,
            TimeSpan.FromSeconds(30),
            ct);
        viaAgent.ExitCode.Should().Be(0, $"kubectl through the agent's load balancer works again after {active.Name} died: {viaAgent.Stderr}\n{a1.Log}");
        var recovered = DateTimeOffset.UtcNow - killedAt;

        // The kubelet renews its Lease through the new server, so the node never goes stale.
        var renewed = await Eventually.UntilAsync(
            () => KubectlAsync(survivor, ct, "get", "lease", "-n", "kube-node-lease", "a1", "-o", "jsonpath={.spec.renewTime}"),
            r => r.ExitCode == 0 && DateTimeOffset.TryParse(r.Stdout, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at > killedAt,
            TimeSpan.FromSeconds(40),
            ct);
        DateTimeOffset.Parse(renewed.Stdout, CultureInfo.InvariantCulture).Should().BeAfter(killedAt, $"a1 renews its lease after {active.Name} died\n{a1.Log}");
        (await ReadyAsync(survivor, "a1", ct)).Should().Be("True");
        TestContext.Current.SendDiagnosticMessage($"kubectl through a1's load balancer answered {recovered.TotalMilliseconds:0} ms after {active.Name} was killed");

        // The server returns and the balancer takes it back.
        var mark = a1.Log.Length;
        active.Start(active == first ? ["--cluster-init"] : join);
        await active.WaitListeningAsync(Start, ct);
        var address = $"{active.Address}:6443";
        await Eventually.TrueAsync(
            () => Regex.IsMatch(a1.Log[mark..], $@"Server {Regex.Escape(address)}@\w+->(RECOVERING|PREFERRED|HEALTHY|ACTIVE)"),
            TimeSpan.FromSeconds(60),
            $"a1's load balancer takes {address} back after it restarts\n{a1.Log[mark..]}",
            ct);

        // A restarted agent comes back through its saved server list while its --server is down.
        await a1.StopAsync();
        await first.KillAsync();
        var restartedAt = DateTimeOffset.UtcNow;
        mark = a1.Log.Length;
        a1.Start(first.Url, first.AgentToken);
        var back = await Eventually.UntilAsync(
            () => KubectlAsync(second, ct, "get", "lease", "-n", "kube-node-lease", "a1", "-o", "jsonpath={.spec.renewTime}"),
            r => r.ExitCode == 0 && DateTimeOffset.TryParse(r.Stdout, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at > restartedAt,
            TimeSpan.FromSeconds(60),
            ct);
        DateTimeOffset.Parse(back.Stdout, CultureInfo.InvariantCulture).Should().BeAfter(restartedAt, $"a1 restarted with {first.Name} down joins through the servers it saved\n{a1.Log[mark..]}");
        first.Start("--cluster-init");
        await first.WaitListeningAsync(Start, ct);

        // Deleting a server's Node removes its datastore member (k3s's etcd member controller).
        var deleted = await Eventually.UntilAsync(() => KubectlAsync(first, ct, "delete", "node", "s3", "--ignore-not-found"), r => r.ExitCode == 0, TimeSpan.FromSeconds(30), ct);
        deleted.ExitCode.Should().Be(0, deleted.Stderr);
        var voters = await Eventually.UntilAsync(() => VotersAsync(first, ct), v => v.Count == 2, TimeSpan.FromSeconds(60), ct);
        voters.Should().HaveCount(2, $"s3's member is removed with its Node\n{first.Log}").And.OnlyContain(v => !v.StartsWith("s3-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AgentWithABadTokenOrUrl_ExitsNonZeroWithTheReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = Server("s1", 1);
        server.Start();
        await server.WaitListeningAsync(Start, ct);
        var hash = server.Token[3..server.Token.IndexOf("::", StringComparison.Ordinal)];

        await RefusedAsync(Agent("a1", 11), server.Url, "K10" + new string('0', 64) + "::node:secret", "token CA hash does not match the Cluster CA certificate hash", ct);
        await RefusedAsync(Agent("a2", 12), server.Url, $"K10{hash}::node:wrong", "did not accept the token", ct);
        await RefusedAsync(Agent("a3", 13), server.Url, "not-the-password", "did not accept the token", ct);
        await RefusedAsync(Agent("a4", 14), server.Url, "K10abc", "--token: invalid token format", ct);
        await RefusedAsync(Agent("a5", 15), server.Url, "K10abc::node:x", "--token: invalid token CA hash length", ct);
        await RefusedAsync(Agent("a6", 16), $"http://{server.Address}:6443", server.Token, "only https:// URLs are supported", ct);
    }

    [Fact]
    public async Task ReusedNodeNameWithAnotherPassword_IsRejected_UntilTheNodeIsDeleted()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = Server("s1", 1);
        server.Start();
        await server.WaitListeningAsync(Start, ct);
        var original = Agent("dup", 11);
        original.Start(server.Url, server.AgentToken);
        await server.WaitNodesReadyAsync(["dup"], TimeSpan.FromSeconds(120), ct);
        await original.StopAsync();

        // Another machine (its own password file) under the same name.
        var impostor = Agent("dup", 12);
        impostor.Start(server.Url, server.AgentToken);
        await Eventually.TrueAsync(
            () => impostor.Log.Contains("Node password rejected, duplicate hostname or contents of '/etc/rancher/node/password' may not match server node-passwd entry, try enabling a unique node name with the --with-node-id flag", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            $"the agent logs k3s's rejection\n{impostor.Log}",
            ct);
        impostor.IsRunning.Should().BeTrue("a rejected agent waits for the name to be freed, as k3s's does");

        (await KubectlAsync(server, ct, "delete", "node", "dup")).ExitCode.Should().Be(0);
        var joined = await Eventually.UntilAsync(
            () => KubectlAsync(server, ct, "get", "node", "dup", "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}"),
            r => r.ExitCode == 0 && r.Stdout == impostor.Address.ToString(),
            TimeSpan.FromSeconds(60),
            ct);
        joined.Stdout.Should().Be(impostor.Address.ToString(), $"the freed name joins with the new machine\n{impostor.Log}\n{server.Log}");
    }

    private static async Task RefusedAsync(AgentNode agent, string url, string token, string message, CancellationToken ct)
    {
        agent.Start(url, token);
        var code = await agent.WaitExitAsync(TimeSpan.FromSeconds(60), ct);
        code.Should().Be(1, agent.Log);
        agent.Log.Should().Contain(message);
    }

    /// <summary>The server the balancer made ACTIVE last, from its transition log lines.</summary>
    private static string? ActiveServer(string log) =>
        ActiveTransition().Matches(log).LastOrDefault()?.Groups[1].Value;

    private static Task<KubectlResult> KubectlAsync(ServerNode node, CancellationToken ct, params string[] args) =>
        Kubectl.RunAsync("1.33", node.Kubeconfig, ct, ["--server", node.Url, "--request-timeout", "10s", .. args]);

    private static async Task<string> ReadyAsync(ServerNode server, string node, CancellationToken ct) =>
        (await KubectlAsync(server, ct, "get", "node", node, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")).Stdout;

    private static async Task<IReadOnlyList<string>> VotersAsync(ServerNode node, CancellationToken ct) =>
        [.. (await node.MembersAsync(ct)).Where(m => !m.IsLearner).Select(m => m.Name)];

    [GeneratedRegex(@"Server (\S+)@\w+->ACTIVE")]
    private static partial Regex ActiveTransition();

    private ServerNode Server(string name, byte host) => _cluster.Server(name, host, runsKubelet: true);

    private AgentNode Agent(string name, byte host) => _cluster.Agent(name, host, FreePorts.Next());
}
