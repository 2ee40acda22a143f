using System.Net;
using System.Net.Http.Headers;
using System.Text;
using K3sLab.K3s.Agent;
using K3sLab.K3s.Bootstrap;
using K3sLab.Lab.Host;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// The join handshake against a real <c>k3s server</c>: a node checks the served CA against its token's hash
/// before trusting it, and then authenticates to the supervisor with the token's credentials.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class JoinTrustTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    private string ServerCaFile => Path.Combine(server.DataDir, "server", "tls", "server-ca.crt");

    private JoinToken AgentToken => JoinToken.Parse(File.ReadAllText(Path.Combine(server.DataDir, "server", "agent-token")));

    [Fact]
    public async Task FetchCa_SecureToken_ReturnsTheServedCaBytes()
    {
        var ca = await ClusterCaFetcher.FetchAsync(new Uri(server.Url), AgentToken, TestContext.Current.CancellationToken);

        ca.Should().Equal(await File.ReadAllBytesAsync(ServerCaFile, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task FetchCa_TokenForAnotherCluster_IsRefusedWithK3sMessage()
    {
        var foreign = AgentToken with { CaHash = new string('0', 64) };

        var fetch = () => ClusterCaFetcher.FetchAsync(new Uri(server.Url), foreign, TestContext.Current.CancellationToken);

        await fetch.Should().ThrowAsync<BootstrapException>()
            .WithMessage($"token CA hash does not match the Cluster CA certificate hash: {new string('0', 64)} != {AgentToken.CaHash}");
    }

    [Fact]
    public async Task FetchCa_HttpUrlOrDeadServer_FailsWithOneSentence()
    {
        var ct = TestContext.Current.CancellationToken;

        var plain = () => ClusterCaFetcher.FetchAsync(new Uri($"http://127.0.0.1:{server.Port}"), AgentToken, ct);
        var dead = () => ClusterCaFetcher.FetchAsync(new Uri($"https://127.0.0.1:{Loopback.FreePort()}"), AgentToken, ct);

        await plain.Should().ThrowAsync<BootstrapException>().WithMessage("only https:// URLs are supported");
        await dead.Should().ThrowAsync<BootstrapException>().WithMessage("failed to get CA certs: *did not answer");
    }

    [Fact]
    public async Task Supervisor_NodeCredentialsFromToken_GetCaFiles()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = TrustingClient();

        using var ok = await GetAsync(http, "/v1-k3s/client-ca.crt", $"node:{AgentToken.Password}", ct);
        using var wrong = await GetAsync(http, "/v1-k3s/client-ca.crt", "node:not-the-password", ct);
        using var none = await GetAsync(http, "/v1-k3s/server-ca.crt", null, ct);

        ok.StatusCode.Should().Be(HttpStatusCode.OK);
        (await ok.Content.ReadAsStringAsync(ct)).Should().StartWith("-----BEGIN CERTIFICATE-----");
        wrong.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await wrong.Content.ReadAsStringAsync(ct)).Should().Be("not authorized");
        none.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task KubernetesApi_RefusesJoinTokenCredentials()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = TrustingClient();

        using var response = await GetAsync(http, "/api/v1/namespaces", $"node:{AgentToken.Password}", ct);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "basic credentials are for the supervisor only");
    }

    private HttpClient TrustingClient()
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
            cert is not null && ClusterCaFetcher.ChainsTo(cert, System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(ServerCaFile));
        return new HttpClient(handler);
    }

    private async Task<HttpResponseMessage> GetAsync(HttpClient http, string path, string? basic, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url + path);
        if (basic is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        }

        return await http.SendAsync(request, ct);
    }
}
