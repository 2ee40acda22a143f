using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// k3s's HA join with the embedded datastore, on real <c>k3s server</c> processes (each on its own loopback address
/// with k3s's fixed ports), checked with etcdctl 3.4 and kubectl: <c>--cluster-init</c>, joins through
/// <c>--server</c> + <c>--token</c> (at the same moment, as k3s#7000 reports), restarts from a server's own data while
/// the first server is down (k3s#4746, #2316), a restart at another address (k3d#550), and the refusals k3s gives a
/// bad join.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class EmbeddedDatastoreJoinTests : IAsyncLifetime
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private readonly LoopbackCluster _cluster = new("k3slab-ha-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task ThreeServersJoiningAtOnce_AllBecomeVoters_AndARestartRejoinsWithoutTheFirstServer()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = Node("s1", 1);
        first.Start("--cluster-init");
        await first.WaitListeningAsync(Start, ct);
        var token = first.Token;

        var second = Node("s2", 2);
        var third = Node("s3", 3);
        string[] join = ["--server", first.Url, "--token", token];
        second.Start(join);
        third.Start(join);
        await second.WaitListeningAsync(Start, ct);
        await third.WaitListeningAsync(Start, ct);
        await WaitVotersAsync(first, ["s1", "s2", "s3"], ct);

        // One API over one datastore: written through the third server, read through the first.
        (await KubectlAsync(third, ct, "create", "configmap", "ha-one", "--from-literal=k=v")).ExitCode.Should().Be(0);
        var read = await KubectlAsync(first, ct, "get", "configmap", "ha-one", "-o", "jsonpath={.data.k}");
        read.Stdout.Should().Be("v", read.Stderr);

        // The first server dies; the second restarts from its own data although its --server points at the dead one.
        await first.KillAsync();
        await second.StopAsync();
        var mark = second.Log.Length;
        second.Start(join);
        await second.WaitListeningAsync(Start, ct);
        var write = await Eventually.UntilAsync(() => KubectlAsync(second, ct, "create", "configmap", "ha-two", "--from-literal=k=w"), r => r.ExitCode == 0, TimeSpan.FromSeconds(30), ct);
        write.ExitCode.Should().Be(0, $"{write.Stderr}\n{second.Log}");
        second.Log[mark..].Should().NotContain("Joining the cluster of", "a server with datastore data restarts from it instead of joining again");

        first.Start("--cluster-init");
        await first.WaitListeningAsync(Start, ct);
        await WaitVotersAsync(second, ["s1", "s2", "s3"], ct);
        var afterRestart = await Eventually.UntilAsync(() => KubectlAsync(first, ct, "get", "configmap", "ha-two", "-o", "jsonpath={.data.k}"), r => r.Stdout == "w", TimeSpan.FromSeconds(30), ct);
        afterRestart.Stdout.Should().Be("w", afterRestart.Stderr);

        // Quorum lost: a write through the survivor fails with etcd's message, as kube-apiserver passes it on. The
        // member gives up on the proposal after its 7 s request timeout, so kubectl gets more than its usual 10 s (the
        // last --request-timeout wins), lest its own timeout answer first on a loaded machine.
        await first.KillAsync();
        await third.KillAsync();
        var lost = await KubectlAsync(second, ct, "create", "configmap", "ha-three", "--from-literal=k=x", "--request-timeout", "30s");
        lost.ExitCode.Should().NotBe(0);
        lost.Stderr.Should().MatchRegex("etcdserver: (no leader|request timed out)");
    }

    [Fact]
    public async Task ServerBackAtAnotherAddress_TheClusterMovesItsMember_AndItServesAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = Node("m1", 21);
        first.Start("--cluster-init");
        await first.WaitListeningAsync(Start, ct);
        string[] join = ["--server", first.Url, "--token", first.Token];
        var second = Node("m2", 22);
        var third = Node("m3", 23);
        second.Start(join);
        await second.WaitListeningAsync(Start, ct);
        third.Start(join);
        await third.WaitListeningAsync(Start, ct);
        await WaitVotersAsync(first, ["m1", "m2", "m3"], ct);

        await third.StopAsync();
        (await KubectlAsync(first, ct, "create", "configmap", "while-away", "--from-literal=k=v")).ExitCode.Should().Be(0);
        var moved = _cluster.Moved(third, 24);
        moved.Start(join);
        await moved.WaitListeningAsync(Start, ct);

        var newUrl = $"https://{moved.Address}:2380";
        var urls = await Eventually.UntilAsync(() => first.PeerUrlsAsync(ct), l => l.Any(m => m.Name.StartsWith("m3-", StringComparison.Ordinal) && m.PeerUrl == newUrl), TimeSpan.FromSeconds(30), ct);
        urls.Should().Contain(m => m.Name.StartsWith("m3-", StringComparison.Ordinal) && m.PeerUrl == newUrl, $"the member list names the new address\n{moved.Log}");
        var write = await Eventually.UntilAsync(() => KubectlAsync(moved, ct, "create", "configmap", "after-move", "--from-literal=k=w"), r => r.ExitCode == 0, TimeSpan.FromSeconds(30), ct);
        write.ExitCode.Should().Be(0, $"{write.Stderr}\n{moved.Log}");
        var missed = await KubectlAsync(moved, ct, "get", "configmap", "while-away", "-o", "jsonpath={.data.k}");
        missed.Stdout.Should().Be("v", missed.Stderr);
        var log = await Eventually.UntilAsync(() => Task.FromResult(moved.Log), l => l.Contains($"The cluster now reaches this member at {newUrl}", StringComparison.Ordinal), TimeSpan.FromSeconds(10), ct);
        log.Should().Contain("asking the cluster to update its member entry").And.Contain($"The cluster now reaches this member at {newUrl}");
        await WaitVotersAsync(first, ["m1", "m2", "m3"], ct);
    }

    [Fact]
    public async Task BadJoins_AreRefusedWithK3sMessages_AndLeaveTheClusterAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = Node("b1", 11);
        first.Start("--cluster-init", "--cluster-cidr", "10.42.0.0/16");
        await first.WaitListeningAsync(Start, ct);
        var token = first.Token;
        var secret = token[(token.LastIndexOf(':') + 1)..];

        var otherHash = "K10" + new string('0', 64) + "::server:" + secret;
        await RefusedAsync(Node("b2", 12), "token CA hash does not match the Cluster CA certificate hash", ct, "--server", first.Url, "--token", otherHash);
        await RefusedAsync(Node("b3", 13), "did not accept the token", ct, "--server", first.Url, "--token", "not-the-password");
        await RefusedAsync(Node("b4", 14), "critical configuration value mismatch between servers: --cluster-cidr is 10.99.0.0/16 here but 10.42.0.0/16 in the cluster", ct, "--server", first.Url, "--token", token, "--cluster-cidr", "10.99.0.0/16");
        await RefusedAsync(Node("b1", 15), "duplicate node name found, please use a unique name for this node", ct, "--server", first.Url, "--token", token);
        await RefusedAsync(Node("b6", 16), "only https:// URLs are supported", ct, "--server", first.Url.Replace("https://", "http://", StringComparison.Ordinal), "--token", token);

        var members = await first.MembersAsync(ct);
        members.Select(m => m.Name).Should().Equal(["b1-" + members[0].Name[3..]], "no refused join may leave a member behind");
    }

    private ServerNode Node(string name, byte host) => _cluster.Server(name, host);

    private static async Task RefusedAsync(ServerNode node, string message, CancellationToken ct, params string[] flags)
    {
        node.Start(flags);
        var code = await node.WaitExitAsync(TimeSpan.FromSeconds(60), ct);
        code.Should().NotBe(0, node.Log);
        node.Log.Should().Contain(message);
    }

    private static Task<KubectlResult> KubectlAsync(ServerNode node, CancellationToken ct, params string[] args) =>
        Kubectl.RunAsync("1.33", node.Kubeconfig, ct, ["--server", node.Url, "--request-timeout", "10s", .. args]);

    private static async Task WaitVotersAsync(ServerNode node, string[] nodeNames, CancellationToken ct)
    {
        IReadOnlyList<(string Name, bool IsLearner)> members = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            members = await node.MembersAsync(ct);
            if (members.Count == nodeNames.Length && members.All(m => !m.IsLearner) && nodeNames.All(n => members.Any(m => m.Name.StartsWith(n + "-", StringComparison.Ordinal))))
            {
                return;
            }

            await Task.Delay(250, ct);
        }

        members.Should().HaveCount(nodeNames.Length, $"every server becomes a voter within 90 s; members: {string.Join(", ", members)}\n{node.Log}");
        members.Should().OnlyContain(m => !m.IsLearner);
    }
}
