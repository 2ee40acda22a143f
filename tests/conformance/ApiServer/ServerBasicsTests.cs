using System.Net;
using System.Security.Cryptography;
using k8s;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// A real <c>k3s server</c> process, checked by real clients: kubectl 1.27 and 1.33, KubernetesClient, and raw HTTPS
/// for the supervisor contract (the <c>/cacerts</c> bytes must hash to the CA hash in the server token).
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ServerBasicsTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task KubectlVersion_ReportsRuntimeVersion(string kubectl)
    {
        var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, TestContext.Current.CancellationToken, "version", "-o", "json");

        result.ExitCode.Should().Be(0, result.Stderr + server.Log);
        result.Stdout.Should().MatchRegex("\"serverVersion\":\\s*\\{[^}]*\"gitVersion\":\\s*\"v1\\.33\\.\\d+\\+k3slab\\.\\d+\"");
    }

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task KubectlApiResources_ListsBuiltInsWithShortNames(string kubectl)
    {
        var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, TestContext.Current.CancellationToken, "api-resources", "--no-headers");

        result.ExitCode.Should().Be(0, result.Stderr + server.Log);
        var rows = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .ToList();
        rows.Should().Contain([
            "pods po v1 true Pod",
            "deployments deploy apps/v1 true Deployment",
            "namespaces ns v1 false Namespace",
            "leases coordination.k8s.io/v1 true Lease",
            "customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition",
        ]);
    }

    [Fact]
    public async Task KubernetesClient_ReadsVersionAndCoreResources()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));

        var version = await client.Version.GetCodeAsync(ct);
        var core = await client.CoreV1.GetAPIResourcesAsync(ct);

        version.GitVersion.Should().StartWith("v1.33.");
        core.Resources.Should().Contain(r => r.Name == "configmaps" && r.Namespaced);
    }

    [Fact]
    public async Task AnonymousRequest_GetsUnauthorizedStatus_ButHealthIsPublic()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = InsecureClient();

        var pods = await http.GetAsync($"{server.Url}/api/v1/pods", ct);
        var health = await http.GetAsync($"{server.Url}/readyz", ct);

        pods.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await pods.Content.ReadAsStringAsync(ct)).Should().Be("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""");
        health.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task HealthEndpoints_ListTheirChecks_AsKubeApiserversDo()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = InsecureClient();
        async Task<(HttpStatusCode, string)> Get(string path)
        {
            using var response = await http.GetAsync(server.Url + path, ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }

        (await Get("/readyz")).Should().Be((HttpStatusCode.OK, "ok"));
        (await Get("/readyz?verbose")).Should().Be((HttpStatusCode.OK, "[+]ping ok\n[+]log ok\n[+]etcd ok\nreadyz check passed\n"));
        (await Get("/livez?verbose")).Should().Be((HttpStatusCode.OK, "[+]ping ok\n[+]log ok\nlivez check passed\n"));
        (await Get("/healthz?verbose&exclude=etcd&exclude=nope")).Should().Be((HttpStatusCode.OK, "[+]ping ok\n[+]log ok\n[+]etcd excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\nhealthz check passed\n"));
        (await Get("/readyz/etcd")).Should().Be((HttpStatusCode.OK, "ok"));
        (await Get("/livez/ping")).Should().Be((HttpStatusCode.OK, "ok"));
        (await Get("/readyz/nope")).Item1.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Cacerts_HashesToTheServerTokensCaHash()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = InsecureClient();

        var ca = await http.GetByteArrayAsync($"{server.Url}/cacerts", ct);
        var token = (await File.ReadAllTextAsync(Path.Combine(server.DataDir, "server", "token"), ct)).Trim();

        token.Should().StartWith($"K10{Convert.ToHexStringLower(SHA256.HashData(ca))}::server:");
        (await http.GetStringAsync($"{server.Url}/ping", ct)).Should().Be("pong");
    }

    private static HttpClient InsecureClient() => new(new SocketsHttpHandler
    {
        // A joining node does exactly this before it checks the CA hash from its token.
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    });
}
