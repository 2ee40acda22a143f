using System.Text.Json;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// <c>kubectl apply --server-side</c> (1.27 and 1.33) against a real <c>k3s server</c>: the first apply creates, a
/// later one merges lists by their keys, removes what the manifest dropped and leaves alone what another writer
/// set, and the manager's fields are recorded in managedFields.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ServerSideApplyTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    public static TheoryData<string> KubectlVersions => [.. Kubectl.SupportedVersions];

    [Theory]
    [MemberData(nameof(KubectlVersions))]
    public async Task ApplyServerSide_CreatesMergesAndRemovesDroppedFields(string kubectl)
    {
        var ct = TestContext.Current.CancellationToken;
        var ns = "ssa-" + kubectl.Replace(".", string.Empty, StringComparison.Ordinal);
        await Run(kubectl, ct, "create", "namespace", ns);

        (await Apply(kubectl, ns, ct, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, labels: {tier: web}}
            data: {a: "1", b: "2"}
            """)).Should().Be("configmap/settings serverside-applied\n");
        var created = await Json(kubectl, ct, "get", "configmap", "settings", "-n", ns, "-o", "json", "--show-managed-fields");
        var entry = created.GetProperty("metadata").GetProperty("managedFields")[0];
        (entry.GetProperty("manager").GetString(), entry.GetProperty("operation").GetString(), entry.GetProperty("fieldsType").GetString())
            .Should().Be(("kubectl", "Apply", "FieldsV1"));
        JsonNode.DeepEquals(JsonNode.Parse(entry.GetProperty("fieldsV1").GetRawText()), JsonNode.Parse("""{"f:metadata":{"f:labels":{"f:tier":{}}},"f:data":{"f:a":{},"f:b":{}}}"""))
            .Should().BeTrue($"the manager owns what it applied: {entry.GetProperty("fieldsV1")}");

        // Another writer's field survives the next apply; the field the manifest dropped goes.
        await Run(kubectl, ct, "patch", "configmap", "settings", "-n", ns, "--type", "merge", "-p", """{"data":{"other":"x"}}""");
        (await Apply(kubectl, ns, ct, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {a: "1", c: "3"}
            """)).Should().Be("configmap/settings serverside-applied\n");
        var data = (await Json(kubectl, ct, "get", "configmap", "settings", "-n", ns, "-o", "json")).GetProperty("data");
        data.EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}").Order().Should().Equal("a=1", "c=3", "other=x");
        (await Run(kubectl, ct, "get", "configmap", "settings", "-n", ns, "-o", "jsonpath={.metadata.labels}")).Stdout.Should().BeEmpty("the manifest dropped the label");

        // Lists merge by their keys: a container dropped from the manifest is removed, a changed one updated.
        const string Deployment = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
            """;
        await Apply(kubectl, ns, ct, Deployment + "\n      - {name: app, image: app:1}\n      - {name: sidecar, image: proxy:1}\n");
        await Apply(kubectl, ns, ct, Deployment + "\n      - {name: app, image: app:2}\n");
        (await Run(kubectl, ct, "get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[*].name}={.spec.template.spec.containers[*].image} {.spec.replicas} {.metadata.generation}")).Stdout
            .Should().Be("app=app:2 1 2");
    }

    private async Task<string> Apply(string kubectl, string ns, CancellationToken ct, string manifest)
    {
        var file = Path.Combine(server.Root.FullName, $"ssa-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, manifest, ct);
        return (await Run(kubectl, ct, "apply", "--server-side", "-n", ns, "-f", file)).Stdout;
    }

    private async Task<JsonElement> Json(string kubectl, CancellationToken ct, params string[] args) =>
        JsonDocument.Parse((await Run(kubectl, ct, args)).Stdout).RootElement;

    private async Task<KubectlResult> Run(string kubectl, CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync(kubectl, server.Kubeconfig, ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {result.Stderr}\nserver log:\n{server.Log}");
        return result;
    }
}
