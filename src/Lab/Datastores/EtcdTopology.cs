using System.Globalization;
using System.Net;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Datastores;

/// <summary>
/// The external etcd cluster of a lab cluster, as data: each member's name (its container name), command and
/// files, the client endpoints the servers use, and the files and flags each server needs to reach it. Every member
/// serves clients and peers over TLS with client certificates required on both (<c>--client-cert-auth</c>,
/// <c>--peer-client-cert-auth</c>) from one lab CA (<see cref="DatastorePki"/>).
/// </summary>
/// <param name="Cluster">The lab cluster name.</param>
/// <param name="Addresses">The members' addresses, by index.</param>
public sealed record EtcdTopology(string Cluster, IReadOnlyList<IPAddress> Addresses)
{
    /// <summary>Where a member keeps its certificates: ca.crt, member.crt/.key, and the client pair for etcdctl.</summary>
    public const string MemberTls = "/etc/k3slab/etcd";

    /// <summary>Where a server keeps the CA and client pair it presents to the members.</summary>
    public const string ServerTls = "/etc/k3slab/datastore";

    /// <summary>A member's data directory, on the container's own disk (kept across stop, kill and start).</summary>
    public const string DataDir = "/var/lib/k3slab/etcd";

    public const int ClientPort = 2379;
    public const int PeerPort = 2380;

    public string MemberName(int index) => LabNaming.NodeName(Cluster, NodeRole.Etcd, index);

    /// <summary>Every member's (name, address), for <see cref="DatastorePki.Create"/>.</summary>
    public IReadOnlyList<(string Name, IPAddress Address)> Members => [.. Addresses.Select((a, i) => (MemberName(i), a))];

    /// <summary>The client URLs, comma-separated, as <c>--datastore-endpoint</c> takes them.</summary>
    public string Endpoints => string.Join(',', Addresses.Select(a => ClientUrl(a)));

    /// <summary>The <c>etcd</c> command of member <paramref name="index"/>, bootstrapping a new cluster of all members.</summary>
    public IReadOnlyList<string> MemberCommand(int index)
    {
        var address = Addresses[index];
        var initial = string.Join(',', Addresses.Select((a, i) => $"{MemberName(i)}={PeerUrl(a)}"));
        return
        [
            "etcd",
            "--name", MemberName(index),
            "--data-dir", DataDir,
            "--listen-client-urls", $"https://0.0.0.0:{ClientPort}",
            "--advertise-client-urls", ClientUrl(address),
            "--listen-peer-urls", $"https://0.0.0.0:{PeerPort}",
            "--initial-advertise-peer-urls", PeerUrl(address),
            "--initial-cluster", initial,
            "--initial-cluster-state", "new",
            "--initial-cluster-token", $"k3slab-{Cluster}",
            "--client-cert-auth", "--trusted-ca-file", $"{MemberTls}/ca.crt",
            "--cert-file", $"{MemberTls}/member.crt", "--key-file", $"{MemberTls}/member.key",
            "--peer-client-cert-auth", "--peer-trusted-ca-file", $"{MemberTls}/ca.crt",
            "--peer-cert-file", $"{MemberTls}/member.crt", "--peer-key-file", $"{MemberTls}/member.key",
            "--logger", "zap", "--log-outputs", "stderr",
        ];
    }

    /// <summary>Member <paramref name="index"/>'s certificates, plus the client pair for the etcdctl run inside it.</summary>
    public IReadOnlyList<NodeFile> MemberFiles(int index, DatastorePki pki)
    {
        var member = pki.Members[MemberName(index)];
        return
        [
            NodeFile.Text($"{MemberTls}/ca.crt", pki.Ca.CertificatePem),
            NodeFile.Text($"{MemberTls}/member.crt", member.CertificatePem),
            NodeFile.Text($"{MemberTls}/member.key", member.KeyPem, NodeFile.Secret),
            NodeFile.Text($"{MemberTls}/client.crt", pki.Client.CertificatePem),
            NodeFile.Text($"{MemberTls}/client.key", pki.Client.KeyPem, NodeFile.Secret),
        ];
    }

    /// <summary>The CA and client pair every server gets.</summary>
    public static IReadOnlyList<NodeFile> ServerFiles(DatastorePki pki) =>
    [
        NodeFile.Text($"{ServerTls}/ca.crt", pki.Ca.CertificatePem),
        NodeFile.Text($"{ServerTls}/client.crt", pki.Client.CertificatePem),
        NodeFile.Text($"{ServerTls}/client.key", pki.Client.KeyPem, NodeFile.Secret),
    ];

    /// <summary>The <c>k3s server</c> flags that point a server at the cluster.</summary>
    public IReadOnlyList<string> ServerArgs() =>
    [
        "--datastore-endpoint", Endpoints,
        "--datastore-cafile", $"{ServerTls}/ca.crt",
        "--datastore-certfile", $"{ServerTls}/client.crt",
        "--datastore-keyfile", $"{ServerTls}/client.key",
    ];

    /// <summary>etcdctl's flags inside a member: its own client pair against <paramref name="endpoints"/>.</summary>
    public static IReadOnlyList<string> EtcdctlArgs(string endpoints) =>
    [
        "etcdctl", $"--endpoints={endpoints}", $"--cacert={MemberTls}/ca.crt", $"--cert={MemberTls}/client.crt", $"--key={MemberTls}/client.key",
    ];

    /// <summary>The local member's client URL, for etcdctl run inside it.</summary>
    public static string LocalEndpoint => string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{ClientPort}");

    private static string ClientUrl(IPAddress address) => string.Create(CultureInfo.InvariantCulture, $"https://{address}:{ClientPort}");

    private static string PeerUrl(IPAddress address) => string.Create(CultureInfo.InvariantCulture, $"https://{address}:{PeerPort}");
}
