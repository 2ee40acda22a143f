using Grpc.Core;

namespace K3sLab.K3s.Etcd;

/// <summary>etcd's Lease service: grant, revoke, keep-alive streams, time-to-live and listing.</summary>
internal sealed class LeaseService(EtcdEndpoint endpoint) : Wire.Lease.LeaseBase
{
    public override Task<Wire.LeaseGrantResponse> LeaseGrant(Wire.LeaseGrantRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var grant = await endpoint.Store.GrantLeaseAsync(request.ID, request.TTL, context.CancellationToken).ConfigureAwait(false);
            return new Wire.LeaseGrantResponse { Header = endpoint.Header(endpoint.Store.CurrentRevision), ID = grant.Id, TTL = grant.Ttl };
        });

    public override Task<Wire.LeaseRevokeResponse> LeaseRevoke(Wire.LeaseRevokeRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var revision = await endpoint.Store.RevokeLeaseAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
            return new Wire.LeaseRevokeResponse { Header = endpoint.Header(revision) };
        });

    /// <summary>
    /// One answer per request, in order; a lease that does not exist answers TTL 0, as etcd does. A stream opened with
    /// <c>hasleader: true</c> ends with "etcdserver: no leader" when the member loses its leader (<see cref="LeaderLoss"/>).
    /// </summary>
    public override async Task LeaseKeepAlive(IAsyncStreamReader<Wire.LeaseKeepAliveRequest> requestStream, IServerStreamWriter<Wire.LeaseKeepAliveResponse> responseStream, ServerCallContext context)
    {
        using var leaderBound = endpoint.Leaders.Link(context);
        var token = leaderBound?.Token ?? context.CancellationToken;
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(token).ConfigureAwait(false))
            {
                var header = endpoint.Header(endpoint.Store.CurrentRevision);
                var ttl = await endpoint.Store.KeepAliveAsync(request.ID, token).ConfigureAwait(false);
                await responseStream.WriteAsync(new Wire.LeaseKeepAliveResponse { Header = header, ID = request.ID, TTL = ttl }, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (leaderBound?.IsCancellationRequested == true)
        {
            throw LeaderLoss.NoLeader();
        }
    }

    /// <summary>A lease that does not exist answers TTL -1 without an error, as etcd does.</summary>
    public override Task<Wire.LeaseTimeToLiveResponse> LeaseTimeToLive(Wire.LeaseTimeToLiveRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var header = endpoint.Header(endpoint.Store.CurrentRevision);
            var status = await endpoint.Store.TimeToLiveAsync(request.ID, request.Keys, context.CancellationToken).ConfigureAwait(false);
            if (status is null)
            {
                return new Wire.LeaseTimeToLiveResponse { Header = header, ID = request.ID, TTL = -1 };
            }

            var response = new Wire.LeaseTimeToLiveResponse { Header = header, ID = status.Id, TTL = status.RemainingTtl, GrantedTTL = status.GrantedTtl };
            foreach (var key in status.Keys)
            {
                response.Keys.Add(Google.Protobuf.UnsafeByteOperations.UnsafeWrap(key));
            }

            return response;
        });

    public override Task<Wire.LeaseLeasesResponse> LeaseLeases(Wire.LeaseLeasesRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var ids = await endpoint.Store.LeasesAsync(context.CancellationToken).ConfigureAwait(false);
            var response = new Wire.LeaseLeasesResponse { Header = endpoint.Header(endpoint.Store.CurrentRevision) };
            foreach (var id in ids)
            {
                response.Leases.Add(new Wire.LeaseStatus { ID = id });
            }

            return response;
        });
}
