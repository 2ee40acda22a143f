using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Server.Embedded;

/// <summary>
/// How a control-plane-only server (<c>--disable-etcd</c>) reaches the cluster's embedded datastore: as an etcd client
/// of its voting members' client URLs (the join server's member first), with this server's <c>server-client</c>
/// certificate issued from the cluster's etcd server CA. The connection itself is the external-etcd backend's, whose
/// client fails over from a member that stops answering to the next one, and here also reads the member list every
/// <see cref="MembershipRefresh"/> to follow voters that join or leave later; k3s puts a local load balancer
/// (<c>k3s-etcd-server-load-balancer</c>) in the same place and keeps its list current from the same member list.
/// </summary>
internal static class ClusterEtcdClient
{
    /// <summary>How often a control-plane-only server rereads the voters it may call.</summary>
    public static readonly TimeSpan MembershipRefresh = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The voters' client URLs, comma-separated as <c>--datastore-endpoint</c> takes them: the join server's own member
    /// first, then the others in member-list order. Learners are left out: they do not serve reads consistently yet.
    /// </summary>
    /// <exception cref="BootstrapException">No voter lists a client URL.</exception>
    public static string Endpoints(IReadOnlyList<ClusterMember> members, Uri joinServer)
    {
        var voters = members.Where(m => !m.IsLearner && m.ClientUrls.Count > 0).ToList();
        var own = voters.Where(m => m.ClientUrls.Any(u => Uri.TryCreate(u, UriKind.Absolute, out var url) && url.Host == joinServer.Host));
        var ordered = own.Concat(voters.Except(own)).Select(m => m.ClientUrls[0]).Distinct(StringComparer.Ordinal).ToList();
        return ordered.Count > 0
            ? string.Join(",", ordered)
            : throw new BootstrapException($"{joinServer} lists no voting datastore member with a client URL, so --disable-etcd has no datastore to use");
    }

    /// <summary>The settings with the cluster's members as an external etcd datastore, reached with the etcd client certificate.</summary>
    public static ServerSettings AsDatastore(ServerSettings settings, string endpoints, EtcdTls tls) => settings with
    {
        DatastoreEndpoint = endpoints,
        DatastoreTls = new DatastoreTlsFiles(tls.ServerCaFile, tls.ServerClientCertFile, tls.ServerClientKeyFile),
    };
}
