using Grpc.Core;

namespace K3sLab.K3s.Etcd;

/// <summary>etcd's Cluster service for a single-member datastore: the member list; membership changes are refused.</summary>
internal sealed class ClusterService(EtcdEndpoint endpoint) : Wire.Cluster.ClusterBase
{
    public override Task<Wire.MemberListResponse> MemberList(Wire.MemberListRequest request, ServerCallContext context)
    {
        var member = new Wire.Member { ID = endpoint.Member.MemberId, Name = endpoint.Member.Name };
        member.ClientURLs.Add(endpoint.Member.ClientUrls);
        member.PeerURLs.Add(endpoint.Member.PeerUrls);
        // etcd's member list header carries no revision: membership lives outside the key-value store.
        var response = new Wire.MemberListResponse { Header = endpoint.Header(0) };
        response.Members.Add(member);
        return Task.FromResult(response);
    }

    public override Task<Wire.MemberAddResponse> MemberAdd(Wire.MemberAddRequest request, ServerCallContext context) => throw EtcdErrors.NotSupported("adding members");

    public override Task<Wire.MemberRemoveResponse> MemberRemove(Wire.MemberRemoveRequest request, ServerCallContext context) => throw EtcdErrors.NotSupported("removing members");

    public override Task<Wire.MemberUpdateResponse> MemberUpdate(Wire.MemberUpdateRequest request, ServerCallContext context) => throw EtcdErrors.NotSupported("updating members");

    public override Task<Wire.MemberPromoteResponse> MemberPromote(Wire.MemberPromoteRequest request, ServerCallContext context) => throw EtcdErrors.NotSupported("promoting members");
}
