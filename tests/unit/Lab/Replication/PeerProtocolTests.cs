using Grpc.Core;
using Grpc.Net.Client;
using K3sLab.K3s.Replication.Wire;

namespace K3sLab.Lab.Tests.Replication;

/// <summary>The peer port refuses members of other clusters and strangers to this one.</summary>
[Trait("Category", "Integration")]
public sealed class PeerProtocolTests
{
    [Fact]
    public async Task Forward_FromAnotherClusterId_RefusedWithClusterIdMismatch()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(1, ct);
        using var channel = GrpcChannel.ForAddress(cluster.PeerUrl("m1"));
        var client = new RaftPeer.RaftPeerClient(channel);

        var call = async () => await client.ForwardAsync(new ForwardRequest { ClusterId = cluster["m1"].Host.ClusterId ^ 1, From = 7 }, cancellationToken: ct);

        var refused = await call.Should().ThrowAsync<RpcException>();
        refused.Which.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        refused.Which.Status.Detail.Should().Contain("cluster ID mismatch");
        (await InProcessCluster.GetAsync(cluster["m1"].Store, "x", ct)).Should().BeNull("the refused request changed nothing");
    }

    [Fact]
    public async Task Stream_FromAMemberIdNotInTheCluster_Refused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await InProcessCluster.StartAsync(1, ct);
        using var channel = GrpcChannel.ForAddress(cluster.PeerUrl("m1"));
        var client = new RaftPeer.RaftPeerClient(channel);
        var term = cluster["m1"].Host.Status.Term;

        using var stream = client.Stream(cancellationToken: ct);
        var batch = new PeerBatch { ClusterId = cluster["m1"].Host.ClusterId, From = 12345, To = cluster["m1"].Host.MemberId };
        batch.Messages.Add(new RaftMessage { Type = (int)K3sLab.Raft.MessageType.Vote, From = 12345, To = cluster["m1"].Host.MemberId, Term = term + 5 });
        var send = async () =>
        {
            await stream.RequestStream.WriteAsync(batch, ct);
            await stream.RequestStream.CompleteAsync();
            await stream.ResponseAsync;
        };

        (await send.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        cluster["m1"].Host.Status.Term.Should().Be(term, "a stranger's vote request must not raise the term");
    }
}
