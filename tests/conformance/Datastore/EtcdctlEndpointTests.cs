using System.Net;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Store.Sql.Sqlite;
using K3sLab.K3s.Tls;
using K3sLab.Lab.Host;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// etcdctl 3.4's per-endpoint commands, given the endpoint as a URL as users write it. etcdctl dials each endpoint
/// with that URL as its gRPC target, so the HTTP/2 <c>:authority</c> is <c>http://host:port</c>; our server must
/// accept it as etcd's does (Kestrel alone rejects it as an invalid Host with RST_STREAM PROTOCOL_ERROR).
/// </summary>
[Trait("Category", "Conformance")]
public sealed class EtcdctlEndpointTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    private static readonly string[][] Commands =
    [
        ["endpoint", "status"], ["endpoint", "health"], ["endpoint", "hashkv"],
        ["endpoint", "status", "--cluster"], ["endpoint", "health", "--cluster"], ["endpoint", "hashkv", "--cluster"],
        ["put", "k", "v"], ["get", "k"],
    ];

    [Fact]
    public async Task EndpointCommands_HttpEndpointUrl_Succeed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await EtcdApiServer.StartDatastoreAsync("k3s datastore serve", ct);
        store.ClientUrl.Should().StartWith("http://");

        foreach (var command in Commands)
        {
            await RunAsync(store.ClientUrl, command, [], ct);
        }
    }

    [Fact]
    public async Task EndpointCommands_HttpsEndpointUrlWithClientCertificate_Succeed()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = Directory.CreateTempSubdirectory("k3slab-etcd-tls-");
        try
        {
            using var ca = CertificateAuthority.Create("etcd-ca");
            using var serving = ca.IssueServing("etcd", ["localhost"], [IPAddress.Loopback]);
            using var client = ca.IssueClient("etcdctl", []);
            PemFiles.Write(root.FullName, "server", serving);
            PemFiles.Write(root.FullName, "client", client);
            File.WriteAllText(Path.Combine(root.FullName, "ca.crt"), ca.Certificate.ExportCertificatePem() + "\n");

            var port = Loopback.FreePort();
            var url = $"https://127.0.0.1:{port}";
            var options = new EtcdServerOptions(new IPEndPoint(IPAddress.Loopback, port))
            {
                CaFile = Path.Combine(root.FullName, "ca.crt"),
                CertFile = Path.Combine(root.FullName, "server.crt"),
                KeyFile = Path.Combine(root.FullName, "server.key"),
            };
            await using var store = SqliteStore.Open(new SqliteStoreOptions(Path.Combine(root.FullName, "state.db")), NullLogger.Instance);
            var member = new EtcdMember(store.Identity.MemberId, store.Identity.ClusterId, "default", [url], ["https://localhost:2380"]);
            await using var app = EtcdServer.Build(store, new SingleMemberCluster(member, store), options);
            await app.StartAsync(ct);

            string[] tls =
            [
                "--cacert", Path.Combine(root.FullName, "ca.crt"),
                "--cert", Path.Combine(root.FullName, "client.crt"),
                "--key", Path.Combine(root.FullName, "client.key"),
            ];
            foreach (var command in Commands)
            {
                await RunAsync(url, command, tls, ct);
            }

            await app.StopAsync(ct);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task RunAsync(string url, string[] command, string[] extra, CancellationToken ct)
    {
        var result = await Etcdctl.RunAsync(url, [.. command, .. extra], null, StepTimeout, ct);
        result.ExitCode.Should().Be(0, $"etcdctl {string.Join(' ', command)} against {url} printed:\n{result.Stdout}{result.Stderr}");
        result.Stderr.Should().NotContain("RST_STREAM", "etcdctl reports failures per endpoint on stderr");
    }
}
