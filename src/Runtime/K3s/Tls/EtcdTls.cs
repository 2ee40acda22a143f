using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Tls;

/// <summary>
/// The embedded datastore's certificates under <c>server/tls/etcd</c>, with k3s's file names: two CAs shared by every
/// server of the cluster (<c>server-ca</c> for the client port, <c>peer-ca</c> for the peer port; they travel in the
/// bootstrap data), and this server's own certificates issued from them: <c>server-client</c> (serves the client
/// port and authenticates this server to other members' client ports, as when joining) and
/// <c>peer-server-client</c> (both sides of the peer port). Own certificates are reissued when they lack this
/// server's names or addresses, are near expiry, or were issued by another CA (after a join brought the cluster's).
/// </summary>
internal sealed class EtcdTls : IDisposable
{
    private EtcdTls(string directory, CertificateAuthority serverCa, CertificateAuthority peerCa, X509Certificate2 serverClient, X509Certificate2 peer)
    {
        Directory = directory;
        ServerCa = serverCa;
        PeerCa = peerCa;
        ServerClient = serverClient;
        Peer = peer;
    }

    /// <summary><c>server/tls/etcd</c>.</summary>
    public string Directory { get; }

    public CertificateAuthority ServerCa { get; }

    public CertificateAuthority PeerCa { get; }

    /// <summary>This server's client-port certificate (serving and client authentication).</summary>
    public X509Certificate2 ServerClient { get; }

    /// <summary>This server's peer certificate (serving and client authentication).</summary>
    public X509Certificate2 Peer { get; }

    public string ServerCaFile => Path.Combine(Directory, "server-ca.crt");

    public string ServerClientCertFile => Path.Combine(Directory, "server-client.crt");

    public string ServerClientKeyFile => Path.Combine(Directory, "server-client.key");

    public static EtcdTls Ensure(string directory, string nodeName, IReadOnlyCollection<IPAddress> addresses, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var serverCa = ClusterTls.EnsureCa(directory, "server-ca", "etcd-server-ca", time);
        var peerCa = ClusterTls.EnsureCa(directory, "peer-ca", "etcd-peer-ca", time);
        string[] names = ["localhost", nodeName];
        IPAddress[] ips = [IPAddress.Loopback, .. addresses];
        var serverClient = EnsureLeaf(directory, "server-client", serverCa, "etcd-server", names, ips, time);
        var peer = EnsureLeaf(directory, "peer-server-client", peerCa, "etcd-peer", names, ips, time);
        return new EtcdTls(directory, serverCa, peerCa, serverClient, peer);
    }

    public void Dispose()
    {
        ServerCa.Dispose();
        PeerCa.Dispose();
        ServerClient.Dispose();
        Peer.Dispose();
    }

    private static X509Certificate2 EnsureLeaf(string directory, string file, CertificateAuthority ca, string commonName, string[] names, IPAddress[] ips, TimeProvider time)
    {
        var existing = PemFiles.TryRead(directory, file);
        if (existing is not null && ClusterTls.Covers(existing, names, ips) && ca.Verifies(existing) && !ClusterTls.NeedsRenewal(existing, time))
        {
            return existing;
        }

        existing?.Dispose();
        var issued = ca.IssueServingAndClient(commonName, names, ips);
        PemFiles.Write(directory, file, issued);
        return issued;
    }
}
