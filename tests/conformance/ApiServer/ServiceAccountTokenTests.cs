using System.Net;
using System.Net.Http.Headers;
using System.Text;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// Service-account tokens end to end: <c>kubectl create token</c> issues one, kubectl and raw HTTPS authenticate with
/// it as <c>system:serviceaccount:ns:name</c>, RBAC decides what it may do, a TokenReview says whose it is, and
/// deleting the service account revokes every token issued for it.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ServiceAccountTokenTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task CreatedToken_AuthenticatesAsTheServiceAccount_UntilItIsDeleted(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var ns = "sa-" + kubectl.Replace('.', '-');
        async Task<KubectlResult> Admin(params string[] args) => await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, args);

        (await Admin("create", "namespace", ns)).ExitCode.Should().Be(0);
        (await Admin("create", "serviceaccount", "builder", "-n", ns)).ExitCode.Should().Be(0);
        var issued = await Admin("create", "token", "builder", "-n", ns, "--duration=20m");
        issued.ExitCode.Should().Be(0, issued.Stderr + server.Log);
        var token = issued.Stdout.Trim();
        token.Split('.').Should().HaveCount(3);

        // kubectl with only the token (the admin certificate must not be in play).
        var kubeconfig = Path.Combine(server.Root.FullName, ns + ".kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: k3s
              cluster: {server: "{{server.Url}}", insecure-skip-tls-verify: true}
            users:
            - name: builder
              user: {token: "{{token}}"}
            contexts:
            - name: builder
              context: {cluster: k3s, user: builder}
            current-context: builder
            """, ct);
        var denied = await Kubectl.RunAsync(kubectl, kubeconfig, ct, "get", "pods", "-n", ns);
        denied.Stderr.Trim().Should().Be($"Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:{ns}:builder\" cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\"");

        (await Admin("create", "rolebinding", "builder-view", "-n", ns, "--clusterrole=view", $"--serviceaccount={ns}:builder")).ExitCode.Should().Be(0);
        var allowed = await Eventually.UntilAsync(() => Kubectl.RunAsync(kubectl, kubeconfig, ct, "get", "pods", "-n", ns), r => r.ExitCode == 0, TimeSpan.FromSeconds(10), ct);
        allowed.Stderr.Trim().Should().Be($"No resources found in {ns} namespace.");

        var review = await Admin("create", "-o", "jsonpath={.status.authenticated} {.status.user.username} {.status.user.groups}", "-f", await Manifest($$$"""
            {"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"{{{token}}}"}}
            """, ct));
        review.Stdout.Should().Be($"true system:serviceaccount:{ns}:builder [\"system:serviceaccounts\",\"system:serviceaccounts:{ns}\",\"system:authenticated\"]");

        (await Admin("delete", "serviceaccount", "builder", "-n", ns)).ExitCode.Should().Be(0);
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{server.Url}/api/v1/namespaces/{ns}/pods");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await http.SendAsync(request, ct)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a deleted service account's tokens stop working");
    }

    [Fact]
    public async Task ShortOrUnknown_AreRefusedAsKubeApiserverRefusesThem()
    {
        var ct = TestContext.Current.CancellationToken;
        (await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "create", "token", "nobody", "-n", "default")).Stderr.Trim()
            .Should().Be("error: failed to create token: serviceaccounts \"nobody\" not found");
        (await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "create", "serviceaccount", "short", "-n", "default")).ExitCode.Should().Be(0);
        (await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "create", "token", "short", "-n", "default", "--duration=5m")).Stderr
            .Should().Contain("may not specify a duration less than 10 minutes");
    }

    private async Task<string> Manifest(string json, CancellationToken ct)
    {
        var file = Path.Combine(server.Root.FullName, $"review-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json, Encoding.UTF8, ct);
        return file;
    }
}
