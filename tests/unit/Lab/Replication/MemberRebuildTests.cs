using K3sLab.K3s.Replication;
using K3sLab.K3s.Replication.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using static K3sLab.Lab.Tests.Replication.InProcessCluster;

namespace K3sLab.Lab.Tests.Replication;

/// <summary>
/// What <c>--cluster-reset</c> does to a member: read its state offline (snapshot plus WAL), rebuild it as the only
/// voter, restart it alone with every write, and let a new member join and receive the state.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MemberRebuildTests
{
    [Fact]
    public async Task ResetOfOneMemberOfThree_RestartsAloneWithEveryWrite_AndANewMemberJoinsWithTheState()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct, o => o with { SnapshotCount = 40, SnapshotCatchUpEntries = 10 });
        for (var i = 0; i < 100; i++)
        {
            (await PutAsync(cluster.Leader.Store, $"key-{i}", $"value-{i}", ct)).Succeeded.Should().BeTrue();
        }

        await cluster.WaitAsync(() => cluster.Running.All(m => m.Store.CurrentRevision == cluster.Leader.Store.CurrentRevision), TimeSpan.FromSeconds(10), "every member applied every write", ct);
        var revision = cluster["m1"].Store.CurrentRevision;
        foreach (var name in new[] { "m1", "m2", "m3" })
        {
            await cluster.StopAsync(name);
        }

        var member = new MemberDirectory(cluster.MemberDirectory("m1"));
        new SnapshotStore(member.Snap, NullLogger.Instance).List().Should().NotBeEmpty("the state must come from a snapshot and the WAL after it");
        var current = await OfflineReplay.ReadAsync(member, NullLogger.Instance, ct);
        current.State.Revision.Should().Be(revision);

        Directory.Move(member.Path, member.Path + "-old");
        await MemberRebuild.WriteAsync(member, current.MemberId, current.ClusterId, [cluster.PeerUrl("m1")], current.State, NullLogger.Instance, ct);

        var alone = await cluster.RestartAsync("m1", ct);
        await cluster.WaitAsync(() => alone.Host.IsLeader, TimeSpan.FromSeconds(10), "the reset member leads alone", ct);
        alone.Host.Status.ConfState.Voters.Should().Equal([current.MemberId]);
        (await GetAsync(alone.Store, "key-99", ct)).Should().Be("value-99");
        (await PutAsync(alone.Store, "after-reset", "yes", ct)).Succeeded.Should().BeTrue();
        alone.Store.CurrentRevision.Should().Be(revision + 1);

        var joined = await cluster.AddAsync("m4", join: "m1", ct);
        await cluster.WaitAsync(() => joined.Host.Status.ConfState.Voters.Count == 2, TimeSpan.FromSeconds(30), "the new member becomes a voter", ct);
        await cluster.WaitAsync(() => joined.Store.CurrentRevision == revision + 1, TimeSpan.FromSeconds(10), "the new member has the state", ct);
        (await GetAsync(joined.Store, "key-0", ct, serializable: true)).Should().Be("value-0", "the state before the rebuild reaches a member that joins after it");
        (await GetAsync(joined.Store, "after-reset", ct, serializable: true)).Should().Be("yes");
    }

    [Fact]
    public async Task WriteAsync_IntoADirectoryWithAWal_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(1, ct);
        await cluster.StopAsync("m1");
        var member = new MemberDirectory(cluster.MemberDirectory("m1"));

        var rebuild = () => MemberRebuild.WriteAsync(member, 1, 2, ["http://127.0.0.1:1"], new K3s.Replication.State.MvccState(), NullLogger.Instance, ct);

        await rebuild.Should().ThrowAsync<InvalidOperationException>().WithMessage("*already holds a WAL*");
    }
}
