using System.Net;
using K3sLab.K3s.Tls;

namespace K3sLab.ConformanceTests.Datastore.Replicated;

/// <summary>A CA and the certificates a test cluster's members and etcdctl use, as PEM files in one directory.</summary>
internal sealed class ClusterCertificates
{
    private ClusterCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string Ca => Path.Combine(Directory, "ca.crt");

    public string ServerCert => Path.Combine(Directory, "server.crt");

    public string ServerKey => Path.Combine(Directory, "server.key");

    public string PeerCert => Path.Combine(Directory, "peer.crt");

    public string PeerKey => Path.Combine(Directory, "peer.key");

    public string ClientCert => Path.Combine(Directory, "client.crt");

    public string ClientKey => Path.Combine(Directory, "client.key");

    /// <summary>Creates a fresh CA; one serving certificate (127.0.0.1, localhost) serves both ports on every member.</summary>
    public static ClusterCertificates Create(string directory, string caName = "etcd-test-ca")
    {
        using var ca = CertificateAuthority.Create(caName);
        PemFiles.Write(directory, "ca", ca.Certificate);
        using var server = ca.IssueServingAndClient("etcd-server", ["localhost"], [IPAddress.Loopback]);
        PemFiles.Write(directory, "server", server);
        using var peer = ca.IssueServingAndClient("etcd-peer", ["localhost"], [IPAddress.Loopback]);
        PemFiles.Write(directory, "peer", peer);
        using var client = ca.IssueClient("etcd-client", []);
        PemFiles.Write(directory, "client", client);
        return new ClusterCertificates(directory);
    }

    /// <summary>etcdctl's TLS flags for these files.</summary>
    public IReadOnlyList<string> EtcdctlFlags => ["--cacert", Ca, "--cert", ClientCert, "--key", ClientKey];
}
