namespace K3sLab.ConformanceTests.Datastore.Replicated;

/// <summary>
/// Three members formed through the join flow, inspected with the real etcdctl 3.4 over mutual TLS: membership,
/// status and health of every endpoint, and reads and writes through different members.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ReplicatedDatastoreTests(ReplicatedClusterFixture fixture) : IClassFixture<ReplicatedClusterFixture>
{
    private ReplicatedCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task MemberList_ThreeJoinedMembers_ShowsThreeStartedVotersWithTheirUrls()
    {
        var ct = TestContext.Current.CancellationToken;
        var result = await Cluster.EtcdctlAsync(Cluster.Members[2], ["member", "list", "-w", "table"], ct);
        result.ExitCode.Should().Be(0, result.Stderr);
        foreach (var member in Cluster.Members)
        {
            result.Stdout.Should().Contain(member.Name).And.Contain(member.PeerUrl).And.Contain(member.ClientUrl);
        }

        var plain = await Cluster.EtcdctlAsync(Cluster.Members[1], ["member", "list"], ct);
        ReplicatedCluster.StartedVoters(plain.Stdout).Should().Be(3, plain.Stdout);
    }

    [Fact]
    public async Task EndpointStatusCluster_ThreeMembers_ReportOneLeaderAtOneTerm()
    {
        var ct = TestContext.Current.CancellationToken;
        var result = await Cluster.EtcdctlAsync(Cluster.Members[0], ["endpoint", "status", "--cluster", "-w", "json"], ct);
        result.ExitCode.Should().Be(0, result.Stderr);
        using var json = System.Text.Json.JsonDocument.Parse(result.Stdout);
        var statuses = json.RootElement.EnumerateArray().Select(e => e.GetProperty("Status")).ToList();
        statuses.Should().HaveCount(3);
        statuses.Select(s => s.GetProperty("leader").GetUInt64()).Distinct().Should().ContainSingle().Which.Should().NotBe(0UL);
        statuses.Select(s => s.GetProperty("raftTerm").GetUInt64()).Distinct().Should().ContainSingle();
        statuses.Select(s => s.GetProperty("header").GetProperty("member_id").GetUInt64()).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task EndpointHealthCluster_ThreeMembers_AllHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        var result = await Cluster.EtcdctlAsync(Cluster.Members[1], ["endpoint", "health", "--cluster"], ct);
        result.ExitCode.Should().Be(0, result.Stdout + result.Stderr);
        (result.Stdout + result.Stderr).Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)).Should().Be(3, result.Stdout + result.Stderr);
    }

    [Fact]
    public async Task PutThroughOneMember_LinearizableGetThroughEveryMember_SeesTheValue()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = $"replicated/{Guid.NewGuid():N}";
        var put = await Cluster.EtcdctlAsync(Cluster.Members[2], ["put", key, "v1"], ct);
        put.ExitCode.Should().Be(0, put.Stderr);
        foreach (var member in Cluster.Members)
        {
            var get = await Cluster.EtcdctlAsync(member, ["get", key, "--print-value-only"], ct);
            get.Stdout.Trim().Should().Be("v1", $"a linearizable read through {member.Name} follows the acknowledged put");
        }
    }

    [Fact]
    public async Task LeaseGrantedThroughFollower_KeepAliveOnce_KeepsTheKey()
    {
        var ct = TestContext.Current.CancellationToken;
        var grant = await Cluster.EtcdctlAsync(Cluster.Members[1], ["lease", "grant", "30"], ct);
        grant.ExitCode.Should().Be(0, grant.Stderr);
        var id = grant.Stdout.Split(' ')[1];
        var key = $"leased/{Guid.NewGuid():N}";
        (await Cluster.EtcdctlAsync(Cluster.Members[2], ["put", key, "v", "--lease", id], ct)).ExitCode.Should().Be(0);
        var keepAlive = await Cluster.EtcdctlAsync(Cluster.Members[2], ["lease", "keep-alive", "--once", id], ct);
        keepAlive.Stdout.Should().Contain("TTL(30)", keepAlive.Stderr);
        var ttl = await Cluster.EtcdctlAsync(Cluster.Members[0], ["lease", "timetolive", id, "--keys"], ct);
        ttl.Stdout.Should().Contain(key);
    }

    [Fact]
    public async Task JoinWithANameAlreadyInTheCluster_RefusedWithClearMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = Directory.CreateTempSubdirectory("k3slab-raft-dup-");
        try
        {
            await using var duplicate = new RaftMemberProcess("m2", root.FullName, Cluster.Certificates);
            await duplicate.StartAsync(["--join", Cluster.Members[0].ClientUrl], ct, waitForPort: false);
            var exit = await duplicate.WaitForExitAsync(TimeSpan.FromSeconds(60));
            exit.Should().Be(1, duplicate.Log);
            duplicate.Log.Should().Contain("duplicate node name found");
            var list = await Cluster.EtcdctlAsync(Cluster.Members[0], ["member", "list"], ct);
            list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(3, "a refused join adds no member");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
