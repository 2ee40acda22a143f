using Grpc.Core;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// etcd's Cluster service over <see cref="IClusterView"/>: the member list and, where the store is replicated,
/// membership changes (add as learner, promote, remove, update peer URLs).
/// </summary>
internal sealed class ClusterService(EtcdEndpoint endpoint) : Wire.Cluster.ClusterBase
{
    public override Task<Wire.MemberListResponse> MemberList(Wire.MemberListRequest request, ServerCallContext context)
    {
        // etcd's member list header carries no revision: membership lives outside the key-value store.
        var response = new Wire.MemberListResponse { Header = endpoint.Header(0) };
        response.Members.Add(endpoint.Cluster.Members().Select(ToWire));
        return Task.FromResult(response);
    }

    public override Task<Wire.MemberAddResponse> MemberAdd(Wire.MemberAddRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            if (request.PeerURLs.Count == 0)
            {
                throw new EtcdRequestException(StatusCode.InvalidArgument, "etcdserver: member peer URLs are not provided");
            }

            var (added, members) = await endpoint.Cluster.AddMemberAsync([.. request.PeerURLs], request.IsLearner, context.CancellationToken).ConfigureAwait(false);
            var response = new Wire.MemberAddResponse { Header = endpoint.Header(0), Member = ToWire(added) };
            response.Members.Add(members.Select(ToWire));
            return response;
        });

    public override Task<Wire.MemberRemoveResponse> MemberRemove(Wire.MemberRemoveRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var members = await endpoint.Cluster.RemoveMemberAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
            var response = new Wire.MemberRemoveResponse { Header = endpoint.Header(0) };
            response.Members.Add(members.Select(ToWire));
            return response;
        });

    public override Task<Wire.MemberUpdateResponse> MemberUpdate(Wire.MemberUpdateRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var members = await endpoint.Cluster.UpdateMemberAsync(request.ID, [.. request.PeerURLs], context.CancellationToken).ConfigureAwait(false);
            var response = new Wire.MemberUpdateResponse { Header = endpoint.Header(0) };
            response.Members.Add(members.Select(ToWire));
            return response;
        });

    public override Task<Wire.MemberPromoteResponse> MemberPromote(Wire.MemberPromoteRequest request, ServerCallContext context) =>
        EtcdCall.RunAsync(async () =>
        {
            var members = await endpoint.Cluster.PromoteMemberAsync(request.ID, context.CancellationToken).ConfigureAwait(false);
            var response = new Wire.MemberPromoteResponse { Header = endpoint.Header(0) };
            response.Members.Add(members.Select(ToWire));
            return response;
        });

    private static Wire.Member ToWire(ClusterMember m)
    {
        var wire = new Wire.Member { ID = m.Id, Name = m.Name, IsLearner = m.IsLearner };
        wire.PeerURLs.Add(m.PeerUrls);
        wire.ClientURLs.Add(m.ClientUrls);
        return wire;
    }
}
