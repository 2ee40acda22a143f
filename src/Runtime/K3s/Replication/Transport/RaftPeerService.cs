using Grpc.Core;
using K3sLab.K3s.Replication.Wire;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>The receiving side of the peer protocol: checks who is talking, then hands everything to the host.</summary>
internal sealed partial class RaftPeerService(IPeerInbox inbox, ILogger<RaftPeerService> logger) : RaftPeer.RaftPeerBase
{
    public override async Task<StreamClosed> Stream(IAsyncStreamReader<PeerBatch> requestStream, ServerCallContext context)
    {
        ulong sender = 0;
        try
        {
            await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                if (sender == 0)
                {
                    CheckCluster(batch.ClusterId, context);
                    if (!inbox.Knows(batch.From))
                    {
                        // A removed member, or one that joined a cluster we have not heard of yet; etcd answers 410 Gone.
                        Log.UnknownPeer(logger, batch.From, context.Peer);
                        throw new RpcException(new Status(StatusCode.PermissionDenied, $"member {batch.From:x16} is not a member of cluster {inbox.ClusterId:x16}"));
                    }

                    sender = batch.From;
                }

                inbox.Deliver([.. batch.Messages.Select(MessageMapping.FromWire)]);
            }
        }
        catch (Exception e) when (sender != 0 && e is IOException or OperationCanceledException)
        {
            // The sender's connection closed or was reset before its stream ended: it may have died (a sender that
            // ends its stream itself completes it). This server sets no keep-alive of its own, so a partition does
            // not end up here; the probe that follows tells a dead peer from a live one.
            Log.StreamLost(logger, sender, e.Message);
            inbox.StreamBroken(sender);
            throw;
        }

        return new StreamClosed();
    }

    public override async Task<ForwardResponse> Forward(ForwardRequest request, ServerCallContext context)
    {
        CheckCluster(request.ClusterId, context);
        var proposed = await inbox.ProposeForwardedAsync(request.Entry.ToByteArray(), context.CancellationToken).ConfigureAwait(false);
        return proposed is { } p
            ? new ForwardResponse { Term = p.Term, Index = p.Index, Leader = 0 }
            : new ForwardResponse { Leader = inbox.Leader };
    }

    public override async Task<LeaseResponse> LeaseKeepAlive(LeaseRequest request, ServerCallContext context)
    {
        CheckCluster(request.ClusterId, context);
        var ttl = await inbox.KeepAliveAsLeaderAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        return ttl is { } t
            ? new LeaseResponse { Found = t > 0, Ttl = t }
            : new LeaseResponse { NotLeader = true, Leader = inbox.Leader };
    }

    public override async Task<LeaseResponse> LeaseTimeToLive(LeaseRequest request, ServerCallContext context)
    {
        CheckCluster(request.ClusterId, context);
        var answer = await inbox.TimeToLiveAsLeaderAsync(request.Id, request.Keys, context.CancellationToken).ConfigureAwait(false);
        var response = new LeaseResponse { NotLeader = answer.NotLeader, Leader = inbox.Leader, Found = answer.Found, Ttl = answer.Ttl, GrantedTtl = answer.GrantedTtl };
        foreach (var key in answer.Keys)
        {
            response.Keys.Add(Google.Protobuf.ByteString.CopyFrom(key));
        }

        return response;
    }

    public override async Task<ConfChangeResponse> ProposeConfChange(ConfChangeRequest request, ServerCallContext context)
    {
        CheckCluster(request.ClusterId, context);
        if (!Enum.IsDefined((Raft.ConfChangeType)request.Type))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"unknown membership change type {request.Type}"));
        }

        var change = new Raft.ConfChange((Raft.ConfChangeType)request.Type, request.NodeId, request.Context.ToByteArray());
        var result = await inbox.ProposeConfChangeAsLeaderAsync(change, context.CancellationToken).ConfigureAwait(false);
        return result is { } r
            ? new ConfChangeResponse { Term = r.Term, Index = r.Index, Refusal = r.Refusal ?? string.Empty }
            : new ConfChangeResponse { NotLeader = true, Leader = inbox.Leader };
    }

    private void CheckCluster(ulong clusterId, ServerCallContext context)
    {
        if (clusterId != inbox.ClusterId)
        {
            Log.OtherCluster(logger, clusterId, inbox.ClusterId, context.Peer);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"cluster ID mismatch: this member belongs to cluster {inbox.ClusterId:x16}, the peer to {clusterId:x16}"));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "Refused a peer from cluster {Theirs:x16} (ours is {Ours:x16}) at {Peer}")]
        public static partial void OtherCluster(ILogger logger, ulong theirs, ulong ours, string peer);

        [LoggerMessage(EventId = 4114, Level = LogLevel.Warning, Message = "Lost the streaming connection from peer {Peer:x16}: {Reason}")]
        public static partial void StreamLost(ILogger logger, ulong peer, string reason);

        [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Refused a stream from unknown member {Member:x16} at {Peer}")]
        public static partial void UnknownPeer(ILogger logger, ulong member, string peer);
    }
}
