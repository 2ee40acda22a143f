using Grpc.Core;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication;
using static K3sLab.Lab.Tests.Replication.InProcessCluster;

namespace K3sLab.Lab.Tests.Replication;

/// <summary>
/// A member's peer URL changes (etcd MemberUpdate) with real members in this process: an update every member
/// applies and whose senders follow, the errors etcd gives for a bad update, and a member that restarts from its
/// data at another address, which has the cluster move it by itself and then serves writes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PeerUrlChangeTests
{
    [Fact]
    public async Task RestartAtAnotherAddress_TheClusterMovesTheMember_AndItServesWritesAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        var name = cluster.Running.First(m => !m.Host.IsLeader).Host.Name;
        var id = cluster[name].Host.MemberId;
        var oldUrl = cluster.PeerUrl(name);
        await cluster.StopAsync(name);
        await PutAsync(cluster.Leader.Store, "while-away", "1", ct);

        var moved = await cluster.RestartMovedAsync(name, ct);
        var newUrl = cluster.PeerUrl(name);

        newUrl.Should().NotBe(oldUrl);
        await cluster.WaitAsync(() => cluster.Running.All(m => m.Host.Members.Find(id)?.PeerUrls.SequenceEqual([newUrl]) == true), TimeSpan.FromSeconds(15), $"every member to list {name} at {newUrl}", ct);
        await PutAsync(moved.Store, "after-move", "2", ct);
        (await GetAsync(moved.Store, "while-away", ct)).Should().Be("1", "the moved member caught up with what it missed");
        (await GetAsync(cluster.Leader.Store, "after-move", ct)).Should().Be("2");
    }

    [Fact]
    public async Task UpdateMember_ThroughAFollower_EveryMemberAppliesIt_AndTheSendersFollow()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(3, ct);
        var follower = cluster.AFollower;
        var target = cluster.Running.First(m => m != follower).Host.MemberId;
        var url = $"http://127.0.0.1:{K3sLab.Lab.Host.Loopback.FreePort()}";

        var members = await new RaftCluster(follower.Host).UpdateMemberAsync(target, [url], ct);

        members.Single(m => m.Id == target).PeerUrls.Should().Equal(url);
        await cluster.WaitAsync(() => cluster.Running.All(m => m.Host.Members.Find(target)?.PeerUrls.SequenceEqual([url]) == true), TimeSpan.FromSeconds(10), "every member to apply the update", ct);
    }

    [Fact]
    public async Task UpdateMember_BadRequests_AnswerAsEtcd()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(2, ct);
        var view = new RaftCluster(cluster["m1"].Host);
        var other = cluster["m2"].Host.MemberId;

        var unknown = await Refusal(() => view.UpdateMemberAsync(12345, ["http://127.0.0.1:1"], ct));
        var taken = await Refusal(() => view.UpdateMemberAsync(other, [cluster.PeerUrl("m1")], ct));
        var invalid = await Refusal(() => view.UpdateMemberAsync(other, ["not a url"], ct));
        var empty = await Refusal(() => view.UpdateMemberAsync(other, [], ct));

        unknown.Should().Be((StatusCode.NotFound, "etcdserver: member not found"));
        taken.Should().Be((StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists"));
        invalid.Should().Be((StatusCode.InvalidArgument, "etcdserver: given member URLs are invalid"));
        empty.Should().Be((StatusCode.InvalidArgument, "etcdserver: member peer URLs are not provided"));
        cluster["m2"].Host.Members.Find(other)!.PeerUrls.Should().Equal(cluster.PeerUrl("m2"));
    }

    private static async Task<(StatusCode Code, string Message)> Refusal(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (EtcdRequestException e)
        {
            return (e.Code, e.Message);
        }

        throw new InvalidOperationException("the update was accepted");
    }
}
