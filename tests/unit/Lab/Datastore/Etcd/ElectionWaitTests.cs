using Grpc.Core;
using K3sLab.K3s.Store.Etcd;

namespace K3sLab.Lab.Tests.Datastore.Etcd;

/// <summary>How the etcd client asks a member again while it answers "no leader" (an election in progress).</summary>
[Trait("Category", "Unit")]
public sealed class ElectionWaitTests
{
    private static readonly RpcException NoLeader = new(new Status(StatusCode.Unavailable, "etcdserver: no leader"));

    [Fact]
    public async Task NoLeaderThenAnswer_AsksTheSameMemberAgain_AfterGrowingPauses()
    {
        var calls = 0;
        var pauses = new List<TimeSpan>();

        var answer = await EtcdClientStore.WaitingOutElectionAsync(
            () => ++calls < 3 ? Task.FromException<int>(NoLeader) : Task.FromResult(42),
            Record(pauses),
            CancellationToken.None);

        answer.Should().Be(42);
        calls.Should().Be(3);
        pauses.Should().Equal(EtcdClientStore.ElectionPauses[0], EtcdClientStore.ElectionPauses[1]);
    }

    [Fact]
    public async Task NoLeaderThroughout_GivesTheNoLeaderToTheCaller_AfterEveryPause()
    {
        var calls = 0;
        var pauses = new List<TimeSpan>();

        var act = () => EtcdClientStore.WaitingOutElectionAsync(() => { calls++; return Task.FromException<int>(NoLeader); }, Record(pauses), CancellationToken.None);

        (await act.Should().ThrowAsync<RpcException>()).Which.Status.Detail.Should().Be("etcdserver: no leader");
        calls.Should().Be(EtcdClientStore.ElectionPauses.Length + 1);
        pauses.Should().Equal(EtcdClientStore.ElectionPauses);
        pauses.Sum(p => p.TotalSeconds).Should().BeApproximately(1.5, 0.001);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, "etcdserver: request timed out")]
    [InlineData(StatusCode.Unavailable, "etcdserver: leader changed")]
    [InlineData(StatusCode.Unavailable, "connection refused")]
    [InlineData(StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted")]
    public async Task AnyOtherFailure_GoesToTheCallerAtOnce(StatusCode code, string detail)
    {
        var calls = 0;
        var pauses = new List<TimeSpan>();

        var act = () => EtcdClientStore.WaitingOutElectionAsync(() => { calls++; return Task.FromException<int>(new RpcException(new Status(code, detail))); }, Record(pauses), CancellationToken.None);

        await act.Should().ThrowAsync<RpcException>();
        calls.Should().Be(1, "a write that may have been applied is never repeated here");
        pauses.Should().BeEmpty();
    }

    private static Func<TimeSpan, CancellationToken, Task> Record(List<TimeSpan> pauses) => (pause, _) =>
    {
        pauses.Add(pause);
        return Task.CompletedTask;
    };
}
