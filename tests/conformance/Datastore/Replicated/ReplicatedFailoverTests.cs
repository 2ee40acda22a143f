using System.Diagnostics;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Datastore.Replicated;

/// <summary>
/// kill -9 of the leader of a three-member cluster: writes through a survivor resume once the two elect a new
/// leader, and the killed member, restarted on its data, catches up until every member holds the same history.
/// The failover time distribution is measured by the perf suite (<c>perf raft</c>); here it only has to happen.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ReplicatedFailoverTests
{
    [Fact]
    public async Task KillLeader_WritesResumeThroughSurvivor_RestartedMemberCatchesUp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await ReplicatedCluster.StartAsync(3, ct);
        for (var i = 0; i < 20; i++)
        {
            (await cluster.EtcdctlAsync(cluster.Members[i % 3], ["put", $"before/{i}", "v"], ct)).ExitCode.Should().Be(0);
        }

        var leader = await LeaderAsync(cluster, ct);
        leader.Kill();
        var survivor = cluster.Members.First(m => m != leader);
        var watch = Stopwatch.StartNew();
        var put = await Eventually.UntilAsync(() => cluster.EtcdctlAsync(survivor, ["put", "after/kill", "v", "--command-timeout", "2s"], ct), r => r.ExitCode == 0, TimeSpan.FromSeconds(20), ct);
        put.ExitCode.Should().Be(0, $"writes through {survivor.Name} resume after the leader {leader.Name} dies\n{put.Stderr}\n{cluster.Logs}");
        TestContext.Current.SendDiagnosticMessage($"writes resumed {watch.ElapsedMilliseconds} ms after kill -9 of {leader.Name}");

        await leader.StartAsync([], ct);
        var revisions = await Eventually.UntilAsync(() => HashesAsync(cluster, ct), h => h.Distinct().Count() == 1, TimeSpan.FromSeconds(30), ct);
        revisions.Distinct().Should().ContainSingle($"every member converges on the same history after the restart\n{cluster.Logs}");
        var get = await cluster.EtcdctlAsync(leader, ["get", "after/kill", "--print-value-only", "--consistency", "s"], ct);
        get.Stdout.Trim().Should().Be("v", "the restarted member applied the write made while it was down");
    }

    private static async Task<RaftMemberProcess> LeaderAsync(ReplicatedCluster cluster, CancellationToken ct)
    {
        var status = await cluster.EtcdctlAsync(cluster.Members[0], ["endpoint", "status", "--cluster", "-w", "json"], ct);
        using var json = System.Text.Json.JsonDocument.Parse(status.Stdout);
        foreach (var e in json.RootElement.EnumerateArray())
        {
            var s = e.GetProperty("Status");
            if (s.GetProperty("leader").GetUInt64() == s.GetProperty("header").GetProperty("member_id").GetUInt64())
            {
                var endpoint = e.GetProperty("Endpoint").GetString()!;
                return cluster.Members.Single(m => m.ClientUrl == endpoint);
            }
        }

        throw new InvalidOperationException($"no leader in {status.Stdout}");
    }

    /// <summary>Each member's "revision:hash" from a serializable endpoint hashkv, so each answers from its own copy.</summary>
    private static async Task<IReadOnlyList<string>> HashesAsync(ReplicatedCluster cluster, CancellationToken ct)
    {
        List<string> hashes = [];
        foreach (var member in cluster.Members)
        {
            var status = await cluster.EtcdctlAsync(member, ["endpoint", "status", "-w", "json"], ct);
            var hash = await cluster.EtcdctlAsync(member, ["endpoint", "hashkv", "-w", "json"], ct);
            if (status.ExitCode != 0 || hash.ExitCode != 0)
            {
                hashes.Add($"{member.Name} unavailable");
                continue;
            }

            using var s = System.Text.Json.JsonDocument.Parse(status.Stdout);
            using var h = System.Text.Json.JsonDocument.Parse(hash.Stdout);
            var revision = s.RootElement[0].GetProperty("Status").GetProperty("header").GetProperty("revision").GetInt64();
            var value = h.RootElement[0].GetProperty("HashKV").GetProperty("hash").GetUInt32();
            hashes.Add($"{revision}:{value}");
        }

        return hashes;
    }
}
