using K3sLab.K3s.Replication;
using K3sLab.K3s.Store;
using static K3sLab.Lab.Tests.Replication.InProcessCluster;

namespace K3sLab.Lab.Tests.Replication;

/// <summary>
/// The replicated store with real members in this process (real sockets, WAL files, fsync): reads and writes
/// through any member, watches fed by each member's own apply, leases that only the leader expires, failover,
/// restart from the WAL, catch-up by snapshot, and bounded failure without a quorum.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReplicatedStoreTests
{
    [Fact]
    public async Task Put_ThroughFollower_LinearizableGetOnEveryMemberSeesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        var put = await PutAsync(cluster.AFollower.Store, "a", "1", ct);
        foreach (var member in cluster.Running)
        {
            (await GetAsync(member.Store, "a", ct)).Should().Be("1", $"a linearizable read on {member.Host.Name} follows the acknowledged write");
            member.Store.CurrentRevision.Should().BeGreaterThanOrEqualTo(put.Revision);
        }
    }

    [Fact]
    public async Task Watch_OnFollower_SeesEveryWriteInRevisionOrderWithPrevKv()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        var follower = cluster.AFollower;
        using var watch = follower.Store.Watch(new WatchRequest(KeyRange.Prefix(B("w/"))) { PrevKv = true });
        for (var i = 0; i < 20; i++)
        {
            await PutAsync(cluster.Leader.Store, "w/k", $"v{i}", ct);
        }

        List<WatchEvent> events = [];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await foreach (var batch in watch.Batches.ReadAllAsync(timeout.Token))
        {
            events.AddRange(batch.Events);
            if (events.Count >= 20)
            {
                break;
            }
        }

        events.Select(e => S(e.Kv.Value)).Should().Equal(Enumerable.Range(0, 20).Select(i => $"v{i}"));
        events.Select(e => e.Kv.ModRevision).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        events.Skip(1).Select(e => S(e.PrevKv!.Value)).Should().Equal(Enumerable.Range(0, 19).Select(i => $"v{i}"));
    }

    [Fact]
    public async Task Lease_NotKeptAlive_LeaderRevokesItAndItsKeysEverywhere()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        var follower = cluster.AFollower;
        var lease = await follower.Store.GrantLeaseAsync(0, 2, ct);
        await PutAsync(follower.Store, "leased", "v", ct, lease.Id);
        (await follower.Store.TimeToLiveAsync(lease.Id, withKeys: true, ct))!.Keys.Select(S).Should().Equal("leased");

        await cluster.WaitAsync(() => cluster.Running.All(m => m.Store.CurrentRevision > 0 && GetAsync(m.Store, "leased", CancellationToken.None, serializable: true).Result is null), TimeSpan.FromSeconds(10), "the expired lease's key to be deleted on every member", ct);
        (await follower.Store.TimeToLiveAsync(lease.Id, withKeys: false, ct)).Should().BeNull();
    }

    [Fact]
    public async Task Lease_KeptAliveThroughFollower_OutlivesItsTtl()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        var follower = cluster.AFollower;
        var lease = await follower.Store.GrantLeaseAsync(0, 2, ct);
        await PutAsync(follower.Store, "kept", "v", ct, lease.Id);
        for (var i = 0; i < 8; i++)
        {
            (await follower.Store.KeepAliveAsync(lease.Id, ct)).Should().Be(2);
            await Task.Delay(500, ct);
        }

        (await GetAsync(follower.Store, "kept", ct)).Should().Be("v", "renewed every 0.5 s, a 2 s lease must not expire");
    }

    [Fact]
    public async Task LeaderStops_SurvivorsElectAndServe_RestartedMemberCatchesUp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        for (var i = 0; i < 30; i++)
        {
            await PutAsync(cluster.Leader.Store, $"k{i}", "before", ct);
        }

        var leaderName = cluster.Leader.Host.Name;
        await cluster.StopAsync(leaderName);
        var survivor = cluster.Running.First();
        await PutAsync(survivor.Store, "after", "v", ct);
        cluster.Running.Count(m => m.Host.IsLeader).Should().Be(1);

        var restarted = await cluster.RestartAsync(leaderName, ct);
        await cluster.WaitAsync(() => restarted.Store.CurrentRevision == survivor.Store.CurrentRevision, TimeSpan.FromSeconds(20), "the restarted member to catch up", ct);
        (await GetAsync(restarted.Store, "after", ct, serializable: true)).Should().Be("v");
        var hashes = await Task.WhenAll(cluster.Running.Select(m => m.Store.HashKvAsync(0, ct)));
        hashes.Select(h => h.Hash).Distinct().Should().ContainSingle();
    }

    [Fact]
    public async Task LeaderProcessGone_FollowersSeeItsPortRefuse_ElectBeforeAnyElectionTimeoutRunsOut()
    {
        // An election timeout of 3 s: without the transport's report the survivors' leases (3 s since the last
        // heartbeat) refuse every vote, so no member can lead again before then. With it, both forget the dead leader at
        // once and one campaigns within half an election timeout (1.5 s) plus the round trips.
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct, o => o with { ElectionTimeout = TimeSpan.FromSeconds(3) });
        await PutAsync(cluster.Leader.Store, "before", "v", ct);
        var oldLeader = cluster.Leader.Host.Name;
        var oldTerm = cluster.Leader.Host.Status.Term;

        var stopped = System.Diagnostics.Stopwatch.StartNew();
        await cluster.StopAsync(oldLeader);
        await cluster.WaitAsync(() => cluster.Running.Any(m => m.Host.IsLeader), TimeSpan.FromSeconds(2.9), "a survivor to lead before an election timeout could have run out", ct);
        var elected = stopped.Elapsed;

        var leader = cluster.Leader;
        leader.Host.Status.Term.Should().BeGreaterThan(oldTerm);
        await PutAsync(leader.Store, "after", "v", ct);
        elected.Should().BeLessThan(TimeSpan.FromSeconds(3), "the survivors may not wait out a lease on a leader whose port refuses connections");
    }

    [Fact]
    public async Task NewMemberAfterCompaction_CatchesUpFromASnapshot()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct, o => o with { SnapshotCount = 40, SnapshotCatchUpEntries = 10 });
        for (var i = 0; i < 200; i++)
        {
            await PutAsync(cluster.Leader.Store, $"s/{i}", new string('x', 100), ct);
        }

        await cluster.WaitAsync(() => cluster.Leader.Host.Status.FirstIndex > 100, TimeSpan.FromSeconds(10), "the leader to compact its log", ct);
        var joined = await cluster.AddAsync("m4", join: "m1", ct);
        var leader = cluster.Leader;
        await cluster.WaitAsync(() => joined.Store.CurrentRevision == leader.Store.CurrentRevision && !joined.Host.Status.ConfState.IsLearner(joined.Host.MemberId) && joined.Host.Status.ConfState.Voters.Count == 4, TimeSpan.FromSeconds(30), "the new member to catch up and be promoted", ct);
        (await joined.Store.HashKvAsync(0, ct)).Hash.Should().Be((await leader.Store.HashKvAsync(0, ct)).Hash);
        var all = await joined.Store.RangeAsync(new RangeQuery(KeyRange.Prefix(B("s/"))) { CountOnly = true }, ct);
        all.Count.Should().Be(200);
    }

    /// <summary>
    /// Members keep their newest snapshot's data only in its file. After every member restarts from its snapshot
    /// file, whichever leads must still read that file to bring a new member up.
    /// </summary>
    [Fact]
    public async Task NewMemberAfterEveryMemberRestartedFromASnapshot_CatchesUpFromTheFile()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct, o => o with { SnapshotCount = 40, SnapshotCatchUpEntries = 10 });
        for (var i = 0; i < 200; i++)
        {
            await PutAsync(cluster.Leader.Store, $"r/{i}", new string('y', 100), ct);
        }

        await cluster.WaitAsync(() => cluster.Running.All(m => m.Host.Status.FirstIndex > 100), TimeSpan.FromSeconds(10), "every member to compact its log", ct);
        foreach (var name in cluster.Running.Select(m => m.Host.Name).ToList())
        {
            await cluster.StopAsync(name);
        }

        foreach (var name in new[] { "m1", "m2", "m3" })
        {
            await cluster.RestartAsync(name, ct);
        }

        await cluster.WaitAsync(() => cluster.Running.Any(m => m.Host.IsLeader), TimeSpan.FromSeconds(10), "a leader after the restart", ct);
        var joined = await cluster.AddAsync("m4", join: cluster.Leader.Host.Name, ct);
        var leader = cluster.Leader;
        await cluster.WaitAsync(() => joined.Store.CurrentRevision == leader.Store.CurrentRevision && !joined.Host.Status.ConfState.IsLearner(joined.Host.MemberId), TimeSpan.FromSeconds(30), "the new member to catch up and be promoted", ct);
        (await joined.Store.HashKvAsync(0, ct)).Hash.Should().Be((await leader.Store.HashKvAsync(0, ct)).Hash);
        (await joined.Store.RangeAsync(new RangeQuery(KeyRange.Prefix(B("r/"))) { CountOnly = true }, ct)).Count.Should().Be(200);
    }

    /// <summary>
    /// A member that joined after the bootstrap holds the bootstrap snapshot (index 0, the first member its only
    /// member) and sends it to the next joiner when it leads. Restoring that snapshot must not make the joiner forget
    /// how to reach the leader that sent it, or its replies never arrive and it stays a learner for good.
    /// </summary>
    [Fact]
    public async Task NewMember_JoinedWhileALaterMemberLeads_IsPromoted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        var later = cluster["m2"];
        if (!later.Host.IsLeader)
        {
            (await cluster.Leader.Host.TransferLeadershipAsync(later.Host.MemberId)).Should().BeTrue();
            await cluster.WaitAsync(() => later.Host.IsLeader, TimeSpan.FromSeconds(10), "m2 to lead", ct);
        }

        await PutAsync(later.Store, "before-join", "v", ct);
        var joined = await cluster.AddAsync("m4", join: "m2", ct);
        await cluster.WaitAsync(() => !joined.Host.Status.ConfState.IsLearner(joined.Host.MemberId) && joined.Host.Status.ConfState.Voters.Count == 4, TimeSpan.FromSeconds(30), "m4 to be promoted while m2 leads", ct);
        (await GetAsync(joined.Store, "before-join", ct)).Should().Be("v");
        joined.Host.Members.List.Should().HaveCount(4);
    }

    [Fact]
    public async Task QuorumLost_WriteFailsWithinTheRequestTimeout_ReadsSerializableStillServe()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct, o => o with { RequestTimeout = TimeSpan.FromSeconds(2) });
        await PutAsync(cluster.Leader.Store, "q", "1", ct);
        var names = cluster.Running.Select(m => m.Host.Name).ToList();
        await cluster.StopAsync(names[0]);
        await cluster.StopAsync(names[1]);
        var alone = cluster[names[2]];

        var write = async () => await PutAsync(alone.Store, "q", "2", ct);
        var failure = await write.Should().ThrowAsync<StoreException>();
        failure.Which.Error.Should().BeOneOf(StoreError.NoLeader, StoreError.Timeout);
        (await GetAsync(alone.Store, "q", ct, serializable: true)).Should().Be("1");
        var read = async () => await GetAsync(alone.Store, "q", ct);
        (await read.Should().ThrowAsync<StoreException>()).Which.Error.Should().BeOneOf(StoreError.NoLeader, StoreError.Timeout);
    }

    [Fact]
    public async Task RemoveMember_ThroughFollower_LeavesTwoVotersThatStillCommit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        var follower = cluster.AFollower;
        var victim = cluster.Running.First(m => m != follower && !m.Host.IsLeader);
        var members = await new RaftCluster(follower.Host).RemoveMemberAsync(victim.Host.MemberId, ct);
        members.Select(m => m.Id).Should().NotContain(victim.Host.MemberId);
        await PutAsync(follower.Store, "after-remove", "v", ct);
        (await GetAsync(cluster.Leader.Store, "after-remove", ct)).Should().Be("v");
    }

    [Fact]
    public async Task TwoJoinsAtOnce_ThroughOneMember_OnlyOneLearnerAtATime()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(1, ct);
        var view = new RaftCluster(cluster["m1"].Host);
        var first = view.AddMemberAsync(["http://127.0.0.1:1"], isLearner: true, ct);
        var second = view.AddMemberAsync(["http://127.0.0.1:2"], isLearner: true, ct);

        var outcomes = await Task.WhenAll(Settle(first), Settle(second));

        outcomes.Count(o => o is null).Should().Be(1, "one join is added as a learner");
        outcomes.Single(o => o is not null)!.Should().Contain("too many learner members in cluster");
        cluster["m1"].Host.Members.List.Count(m => m.IsLearner).Should().Be(1);
    }

    private static async Task<string?> Settle(Task task)
    {
        try
        {
            await task;
            return null;
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }
}
