using System.Diagnostics;
using System.Text.Json.Nodes;
using K3sLab.ConformanceTests.Datastore;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// k3s's split roles on real <c>k3s server</c> processes, each on its own loopback address: three etcd-only servers
/// (<c>--disable-apiserver --disable-controller-manager --disable-scheduler</c>, the first with
/// <c>--cluster-init</c>) and one control-plane-only server (<c>--disable-etcd --server</c>) that serves the API over
/// their datastore as an etcd client. Three members rather than two, so that losing the member the control plane
/// talks to keeps quorum and the API must fail over; losing a second then shows etcd's quorum error.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SplitRolesTests : IAsyncLifetime
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private static readonly string[] EtcdOnly = ["--disable-apiserver", "--disable-controller-manager", "--disable-scheduler"];
    private readonly LoopbackCluster _cluster = new("k3slab-split-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task EtcdOnlyMembersAndAControlPlaneOnlyServer_ServeTheApi_AndSurviveLosingTheMemberInUse()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        var e1 = _cluster.Server("e1", 1);
        e1.Start(["--cluster-init", .. EtcdOnly]);
        await e1.WaitListeningAsync(Start, ct);
        var token = e1.Token;
        var e2 = _cluster.Server("e2", 2);
        var e3 = _cluster.Server("e3", 3);
        e2.Start(["--server", e1.Url, "--token", token, .. EtcdOnly]);
        e3.Start(["--server", e1.Url, "--token", token, .. EtcdOnly]);
        await e2.WaitListeningAsync(Start, ct);
        await e3.WaitListeningAsync(Start, ct);
        var etcdUp = clock.Elapsed;

        var cp = _cluster.Server("cp", 4);
        cp.Start("--disable-etcd", "--server", e1.Url, "--token", token);
        await cp.WaitListeningAsync(Start, ct);
        var controlPlaneUp = clock.Elapsed;

        // Three voters, and no member for the control-plane-only server.
        var members = await Eventually.UntilAsync(() => e1.MembersAsync(ct), m => m.Count == 3 && m.All(x => !x.IsLearner), TimeSpan.FromSeconds(60), ct);
        members.Select(m => m.Name[..2]).Order().Should().Equal(["e1", "e2", "e3"], $"{string.Join(", ", members)}\n{e1.Log}");
        members.Should().OnlyContain(m => !m.IsLearner);
        cp.Log.Should().Contain("Control-plane-only server (--disable-etcd)");

        // The API through the control-plane-only server; the data lives in the etcd-only members.
        var created = await cp.KubectlAsync(ct, "create", "configmap", "split-one", "--from-literal=k=v");
        created.ExitCode.Should().Be(0, $"{created.Stderr}\n{cp.Log}");
        (await cp.KubectlAsync(ct, "get", "configmap", "split-one", "-o", "jsonpath={.data.k}")).Stdout.Should().Be("v");
        var stored = await Etcdctl.RunAsync(e2.EtcdUrl, [.. e2.EtcdctlTls, "get", "/registry/configmaps/default/split-one", "--keys-only"], null, TimeSpan.FromSeconds(10), ct);
        stored.Stdout.Should().Contain("/registry/configmaps/default/split-one", stored.Stderr);

        // The control-plane server publishes its address for etcd-only servers, which answer /v1-k3s/apiservers from it.
        var key = await Eventually.UntilAsync(
            () => Etcdctl.RunAsync(e3.EtcdUrl, [.. e3.EtcdctlTls, "get", "k3s/apiaddresses", "--print-value-only"], null, TimeSpan.FromSeconds(10), ct),
            r => r.Stdout.Contains($"{cp.Address}:6443", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            ct);
        JsonNode.Parse(key.Stdout)!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal([$"{cp.Address}:6443"]);
        var apiservers = await SupervisorGetAsync(e2, "/v1-k3s/apiservers", token, ct);
        apiservers.Body.Should().Be($"[\"{cp.Address}:6443\"]");

        // An etcd-only server has no Kubernetes API of its own.
        var api = await SupervisorGetAsync(e1, "/api/v1/namespaces", token, ct);
        ((int)api.Status).Should().Be(503);
        api.Body.Should().StartWith("apiserver disabled");

        // The member the control plane talks to (the join server's, first in its list) dies: the API keeps serving.
        await e1.KillAsync();
        var killed = Stopwatch.StartNew();
        var afterKill = await Eventually.UntilAsync(() => cp.KubectlAsync(ct, "create", "configmap", "split-two", "--from-literal=k=w"), r => r.ExitCode == 0, TimeSpan.FromSeconds(60), ct);
        afterKill.ExitCode.Should().Be(0, $"{afterKill.Stderr}\n{cp.Log}");
        var failover = killed.Elapsed;
        (await cp.KubectlAsync(ct, "get", "configmap", "split-one", "-o", "jsonpath={.data.k}")).Stdout.Should().Be("v");
        var members2 = await e2.MembersAsync(ct);
        members2.Should().HaveCount(3, "a killed member stays in the member list");

        // A second member dies: one of three is no quorum, and the API says so with etcd's words.
        await e3.KillAsync();
        var lost = await cp.KubectlAsync(ct, "create", "configmap", "split-three", "--from-literal=k=x");
        lost.ExitCode.Should().NotBe(0);
        lost.Stderr.Should().MatchRegex("etcdserver: (no leader|request timed out)|unavailable|Unavailable");
        TestContext.Current.SendDiagnosticMessage($"split roles: 3 etcd-only members up in {etcdUp.TotalSeconds:0.0} s, control-plane-only server listening {(controlPlaneUp - etcdUp).TotalSeconds:0.0} s later, first write after killing its member {failover.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task ControlPlaneOnlyServer_FollowsTheVoters_AndServesWhenOnlyAMemberThatJoinedAfterItIsLeft()
    {
        var ct = TestContext.Current.CancellationToken;
        var e1 = _cluster.Server("e1", 1);
        e1.Start(["--cluster-init", .. EtcdOnly]);
        await e1.WaitListeningAsync(Start, ct);
        var token = e1.Token;
        var e2 = _cluster.Server("e2", 2);
        e2.Start(["--server", e1.Url, "--token", token, .. EtcdOnly]);
        await Eventually.UntilAsync(() => e1.MembersAsync(ct), m => m.Count == 2 && m.All(x => !x.IsLearner), Start, ct);

        // The control plane starts while the store has two voters: its first list names only those.
        var cp = _cluster.Server("cp", 4);
        cp.Start("--disable-etcd", "--server", e1.Url, "--token", token);
        await cp.WaitListeningAsync(Start, ct);
        (await Eventually.UntilAsync(() => cp.KubectlAsync(ct, "create", "configmap", "follow-one", "--from-literal=k=v"), r => r.ExitCode == 0, Start, ct)).ExitCode.Should().Be(0, cp.Log);

        // A third voter joins later; the control plane takes it into its list.
        var e3 = _cluster.Server("e3", 3);
        e3.Start(["--server", e1.Url, "--token", token, .. EtcdOnly]);
        await Eventually.UntilAsync(() => e1.MembersAsync(ct), m => m.Count == 3 && m.All(x => !x.IsLearner), Start, ct);
        await Eventually.TrueAsync(() => cp.Log.Contains($"datastore endpoints -> [{e1.EtcdUrl},{e2.EtcdUrl},{e3.EtcdUrl}]", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the control plane follows the new voter", ct);

        // The first two leave the membership and die: only the member the control plane was never told of at start is left.
        foreach (var gone in new[] { e1, e2 })
        {
            var id = await MemberIdAsync(e3, gone.Name, ct);
            var removed = await Etcdctl.RunAsync(e3.EtcdUrl, [.. e3.EtcdctlTls, "member", "remove", id.ToString("x", System.Globalization.CultureInfo.InvariantCulture)], null, TimeSpan.FromSeconds(20), ct);
            removed.ExitCode.Should().Be(0, $"{removed.Stderr}\n{e3.Log}");
            await gone.KillAsync();
        }

        var written = await Eventually.UntilAsync(() => cp.KubectlAsync(ct, "create", "configmap", "follow-two", "--from-literal=k=w"), r => r.ExitCode == 0, Start, ct);
        written.ExitCode.Should().Be(0, $"{written.Stderr}\n{cp.Log}");
        (await cp.KubectlAsync(ct, "get", "configmap", "follow-one", "-o", "jsonpath={.data.k}")).Stdout.Should().Be("v");
        await Eventually.TrueAsync(() => cp.Log.Contains($"datastore endpoints -> [{e3.EtcdUrl}]", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the removed members leave the control plane's list", ct);
    }

    [Theory]
    [InlineData("invalid flag use; --server is required with --disable-etcd", "--disable-etcd")]
    [InlineData("invalid flag use; cannot use --disable-apiserver with --datastore-endpoint", "--disable-apiserver", "--disable-controller-manager", "--disable-scheduler", "--datastore-endpoint", "sqlite:///tmp/k3slab-split.db")]
    [InlineData("invalid flag use; cannot use --disable-etcd with --datastore-endpoint", "--disable-etcd", "--server", "https://127.0.0.1:6443", "--datastore-endpoint", "sqlite:///tmp/k3slab-split.db")]
    public async Task InvalidCombinations_AreRefusedAtStart_WithK3sMessages(string message, params string[] flags)
    {
        var ct = TestContext.Current.CancellationToken;
        var node = _cluster.Server("bad", 20);
        node.Start(flags);
        var code = await node.WaitExitAsync(TimeSpan.FromSeconds(30), ct);
        code.Should().NotBe(0, node.Log);
        node.Log.Should().Contain(message);
    }

    /// <summary>The member id of the server named <paramref name="name"/> (its member name starts with the node name), as <paramref name="at"/> lists it.</summary>
    private static async Task<ulong> MemberIdAsync(ServerNode at, string name, CancellationToken ct)
    {
        var result = await Etcdctl.RunAsync(at.EtcdUrl, [.. at.EtcdctlTls, "member", "list", "-w", "json"], null, TimeSpan.FromSeconds(10), ct);
        var member = (JsonNode.Parse(result.Stdout)?["members"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(m => m["name"]?.GetValue<string>().StartsWith(name + "-", StringComparison.Ordinal) == true);
        return member?["ID"]?.GetValue<ulong>() ?? throw new InvalidOperationException($"{at.Name} lists no member named {name}-*: {result.Stdout}{result.Stderr}");
    }

    /// <summary>A GET on a server's supervisor port as the token's <c>server</c> user, trusting any certificate (the test only reads answers).</summary>
    private static async Task<(System.Net.HttpStatusCode Status, string Body)> SupervisorGetAsync(ServerNode node, string path, string token, CancellationToken ct)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(node.Url), Timeout = TimeSpan.FromSeconds(10) };
        var password = token[(token.LastIndexOf(':') + 1)..];
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("server:" + password)));
        using var response = await client.GetAsync(path, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }
}
