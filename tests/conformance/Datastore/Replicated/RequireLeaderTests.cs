using System.Diagnostics;

namespace K3sLab.ConformanceTests.Datastore.Replicated;

/// <summary>
/// etcdctl's watch asks for a leader (clientv3.WithRequireLeader sends <c>hasleader: true</c>). On a member that loses
/// quorum, etcd 3.4 ends such a watch with "etcdserver: no leader" and refuses a new one, while serializable reads
/// keep answering from local state; our member must do the same rather than hold the watch open on a member that
/// can no longer learn of new writes.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class RequireLeaderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task EtcdctlWatch_OnAMemberThatLosesQuorum_EndsWithNoLeader_AsEtcdDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        QuorumLoss etcd;
        await using (var reference = await EtcdCluster.StartAsync(3, tls: false, ct))
        {
            etcd = await LoseQuorumUnderAWatchAsync(reference.ClientUrl(0), [], () => { reference.Kill(1); reference.Kill(2); }, ct);
        }

        await using var cluster = await ReplicatedCluster.StartAsync(3, ct);
        var ours = await LoseQuorumUnderAWatchAsync(cluster.Members[0].ClientUrl, cluster.Certificates.EtcdctlFlags, () => { cluster.Members[1].Kill(); cluster.Members[2].Kill(); }, ct);

        foreach (var (name, run) in new[] { ("etcd 3.4", etcd), ("ours", ours) })
        {
            run.OpenWatch.ExitCode.Should().NotBeNull($"{name}: the open watch ends by itself once the member has no leader\n{run.OpenWatch.Stderr}\n{cluster.Logs}");
            run.OpenWatch.Stderr.Should().Contain("etcdserver: no leader", name);
            run.NewWatch.ExitCode.Should().NotBeNull($"{name}: a watch started without a leader is refused\n{run.NewWatch.Stderr}");
            run.NewWatch.Stderr.Should().Contain("etcdserver: no leader", name);
            run.SerializableGet.Should().Be("v", $"{name}: a serializable get asks for no leader and answers from local state");
            TestContext.Current.SendDiagnosticMessage($"{name}: the open watch ended {run.Ended.TotalSeconds:0.0} s after the kills, a new one in {run.Refused.TotalSeconds:0.0} s");
        }
    }

    private static async Task<QuorumLoss> LoseQuorumUnderAWatchAsync(string clientUrl, IReadOnlyList<string> tls, Action killOthers, CancellationToken ct)
    {
        (await Etcdctl.RunAsync(clientUrl, [.. tls, "put", "k", "v"], stdin: null, Bound, ct)).ExitCode.Should().Be(0);
        await using var open = Etcdctl.Start(clientUrl, [.. tls, "watch", "k"]);

        // The watch is open once it reports a put; until then, put again (the first may come before it is created).
        var watching = false;
        for (var attempt = 0; attempt < 50 && !watching; attempt++)
        {
            (await Etcdctl.RunAsync(clientUrl, [.. tls, "put", "k", "v"], stdin: null, Bound, ct)).ExitCode.Should().Be(0);
            watching = await open.WaitForLinesAsync(1, TimeSpan.FromMilliseconds(200), ct);
        }

        watching.Should().BeTrue("the watch reports a put before the other members are killed");
        killOthers();
        var clock = Stopwatch.StartNew();
        var openWatch = await open.CollectAsync(0, Bound, ct);
        var ended = clock.Elapsed;

        clock.Restart();
        await using var fresh = Etcdctl.Start(clientUrl, [.. tls, "watch", "k"]);
        var newWatch = await fresh.CollectAsync(0, Bound, ct);
        var refused = clock.Elapsed;
        var get = await Etcdctl.RunAsync(clientUrl, [.. tls, "get", "k", "--print-value-only", "--consistency", "s"], stdin: null, Bound, ct);
        return new QuorumLoss(openWatch, ended, newWatch, refused, get.Stdout.Trim());
    }

    private sealed record QuorumLoss(EtcdctlResult OpenWatch, TimeSpan Ended, EtcdctlResult NewWatch, TimeSpan Refused, string SerializableGet);
}
