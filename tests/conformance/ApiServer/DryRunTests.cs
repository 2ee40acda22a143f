using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// Server-side dry runs write nothing, wherever the client puts the option: kubectl's <c>--dry-run=server</c> sends
/// <c>?dryRun=All</c> for creates, patches, scales and applies, and <c>DeleteOptions.dryRun</c> in the body for deletes; an
/// eviction carries it in its <c>deleteOptions</c>. A value other than <c>All</c> is a 422, not a real write.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class DryRunTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task KubectlServerDryRun_ChangesNothing(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var ns = "dry-" + kubectl.Replace('.', '-');
        async Task<string> Run(params string[] args)
        {
            var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, args);
            result.ExitCode.Should().Be(0, result.Stderr + server.Log);
            return result.Stdout.Trim();
        }

        await Run("create", "namespace", ns);
        await Run("create", "configmap", "kept", "-n", ns, "--from-literal=a=1");
        await Run("create", "deployment", "web", "-n", ns, "--image=busybox", "--replicas=1");
        var before = await Run("get", "configmap", "kept", "-n", ns, "-o", "jsonpath={.metadata.resourceVersion}");

        (await Run("create", "configmap", "never", "-n", ns, "--dry-run=server")).Should().Be("configmap/never created (server dry run)");
        (await Run("label", "configmap", "kept", "-n", ns, "x=y", "--dry-run=server")).Should().Be("configmap/kept labeled (server dry run)");
        (await Run("delete", "configmap", "kept", "-n", ns, "--dry-run=server")).Should().Be("configmap \"kept\" deleted (server dry run)");
        (await Run("delete", "configmaps", "--all", "-n", ns, "--dry-run=server")).Should().Contain("(server dry run)");

        (await Run("scale", "deployment", "web", "-n", ns, "--replicas=5", "--dry-run=server")).Should().Be("deployment.apps/web scaled (server dry run)");

        (await Run("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}")).Should().Be("1", "a dry-run scale stores nothing");
        (await Run("get", "configmap", "kept", "-n", ns, "-o", "jsonpath={.metadata.resourceVersion}/{.metadata.labels}")).Should().Be(before + "/", "nothing was written");
        var never = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, "get", "configmap", "never", "-n", ns);
        never.Stderr.Should().Contain("NotFound");
    }

    [Fact]
    public async Task DeleteCollection_AndEviction_WithDryRunInTheBody_DeleteNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = ClientCertificates.Admin(server);
        await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"dry-body"}}""", HttpStatusCode.Created, ct);
        await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/dry-body/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one"}}""", HttpStatusCode.Created, ct);
        await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/dry-body/pods", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""", HttpStatusCode.Created, ct);

        var collection = await SendAsync(http, HttpMethod.Delete, "/api/v1/namespaces/dry-body/configmaps", """{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}""", HttpStatusCode.OK, ct);
        collection["items"]!.AsArray().Should().ContainSingle(i => i!["metadata"]!["name"]!.GetValue<string>() == "one", "the answer lists what would go");
        await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/dry-body/pods/p/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p"},"deleteOptions":{"dryRun":["All"]}}""", HttpStatusCode.Created, ct);

        await SendAsync(http, HttpMethod.Get, "/api/v1/namespaces/dry-body/configmaps/one", null, HttpStatusCode.OK, ct);
        var pod = await SendAsync(http, HttpMethod.Get, "/api/v1/namespaces/dry-body/pods/p", null, HttpStatusCode.OK, ct);
        pod["metadata"]!["deletionTimestamp"].Should().BeNull("a dry-run eviction marks nothing");
    }

    [Fact]
    public async Task UnsupportedDryRunValue_IsInvalid_AndWritesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = ClientCertificates.Admin(server);
        var created = await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/default/configmaps?dryRun=Some", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"some"}}""", HttpStatusCode.UnprocessableEntity, ct);
        created["reason"]!.GetValue<string>().Should().Be("Invalid");
        created["message"]!.GetValue<string>().Should().Be("""CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All" """.TrimEnd());

        await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/default/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"}}""", HttpStatusCode.Created, ct);
        var deleted = await SendAsync(http, HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/target", """{"dryRun":["All","Nope"]}""", HttpStatusCode.UnprocessableEntity, ct);
        deleted["message"]!.GetValue<string>().Should().StartWith("DeleteOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"All\", \"Nope\"}");
        await SendAsync(http, HttpMethod.Get, "/api/v1/namespaces/default/configmaps/target", null, HttpStatusCode.OK, ct);
        await SendAsync(http, HttpMethod.Get, "/api/v1/namespaces/default/configmaps/some", null, HttpStatusCode.NotFound, ct);
    }

    private async Task<JsonObject> SendAsync(HttpClient http, HttpMethod method, string path, string? body, HttpStatusCode expected, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, server.Url + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        response.StatusCode.Should().Be(expected, $"{method} {path}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
