using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.Agent;
using K3sLab.K3s.Bootstrap;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// <c>/v1-k3s/client-kubelet.crt</c> and <c>/v1-k3s/serving-kubelet.crt</c> on a real server: certificates for a
/// node's CSR after k3s's node-password check, the password's scrypt hash kept in the node's secret, and a
/// different password for the same name refused with 403.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class KubeletCertificateTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    private string ServerCaFile => Path.Combine(server.DataDir, "server", "tls", "server-ca.crt");

    private JoinToken AgentToken => JoinToken.Parse(File.ReadAllText(Path.Combine(server.DataDir, "server", "agent-token")));

    [Fact]
    public async Task NewNode_GetsClientAndServingCertificates_AndItsPasswordHashIsStored()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = TrustingClient();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var client = await PostAsync(http, "client-kubelet.crt", "cert-node-a", "pw-a", "10.1.2.3", Csr(key), ct);
        using var serving = await PostAsync(http, "serving-kubelet.crt", "Cert-Node-A", "pw-a", "10.1.2.3,10.1.2.4", Csr(key), ct);

        client.StatusCode.Should().Be(HttpStatusCode.OK, await client.Content.ReadAsStringAsync(ct));
        serving.StatusCode.Should().Be(HttpStatusCode.OK, await serving.Content.ReadAsStringAsync(ct));
        using var clientCert = X509Certificate2.CreateFromPem(await client.Content.ReadAsStringAsync(ct));
        clientCert.GetNameInfo(X509NameType.SimpleName, forIssuer: false).Should().Be("system:node:cert-node-a");
        clientCert.Subject.Should().Contain("O=system:nodes");
        clientCert.GetPublicKey().Should().Equal(key.ExportSubjectPublicKeyInfo()[^65..], "the certificate is for the CSR's key");
        using var servingCert = X509Certificate2.CreateFromPem(await serving.Content.ReadAsStringAsync(ct));
        servingCert.Subject.Should().Be("CN=cert-node-a", "the server lower-cases the node name");
        var san = servingCert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        san.EnumerateDnsNames().Should().BeEquivalentTo("cert-node-a", "localhost");
        san.EnumerateIPAddresses().Select(a => a.ToString()).Should().BeEquivalentTo("127.0.0.1", "10.1.2.3", "10.1.2.4");

        var secret = await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "get", "secret", "-n", "kube-system", "cert-node-a.node-password.k3s", "-o", "json");
        secret.ExitCode.Should().Be(0, secret.Stderr);
        var json = JsonNode.Parse(secret.Stdout)!;
        json["type"]!.GetValue<string>().Should().Be("k3s.cattle.io/node-password");
        json["immutable"]!.GetValue<bool>().Should().BeTrue();
        var hash = Encoding.UTF8.GetString(Convert.FromBase64String(json["data"]!["hash"]!.GetValue<string>()));
        hash.Should().MatchRegex("^\\$1:[0-9a-f]{16}:15:8:1:");
        NodePasswordHash.Verify("pw-a", hash).Should().BeTrue();
    }

    [Fact]
    public async Task SameNameWithAnotherPassword_Is403_AndMissingHeadersAre400()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = TrustingClient();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var first = await PostAsync(http, "client-kubelet.crt", "cert-node-b", "pw-b", "10.1.2.5", Csr(key), ct);
        using var other = await PostAsync(http, "client-kubelet.crt", "cert-node-b", "pw-other", "10.1.2.6", Csr(key), ct);
        using var noHeaders = await PostAsync(http, "client-kubelet.crt", null, null, null, Csr(key), ct);
        using var garbage = await PostAsync(http, "client-kubelet.crt", "cert-node-c", "pw-c", "10.1.2.7", "not a csr", ct);

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        other.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        noHeaders.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        garbage.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    private static string Csr(ECDsa key)
    {
        var request = new CertificateRequest("CN=ignored", key, HashAlgorithmName.SHA256);
        return request.CreateSigningRequestPem();
    }

    private HttpClient TrustingClient()
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
            cert is not null && ClusterCaFetcher.ChainsTo(cert, X509CertificateLoader.LoadCertificateFromFile(ServerCaFile));
        return new HttpClient(handler);
    }

    private async Task<HttpResponseMessage> PostAsync(HttpClient http, string file, string? node, string? password, string? ips, string csr, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{server.Url}/v1-k3s/{file}") { Content = new StringContent(csr) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"node:{AgentToken.Password}")));
        if (node is not null)
        {
            request.Headers.Add("k3s-Node-Name", node);
            request.Headers.Add("k3s-Node-Password", password);
            request.Headers.Add("k3s-Node-IP", ips);
        }

        return await http.SendAsync(request, ct);
    }
}
