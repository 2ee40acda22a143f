using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// CustomResourceDefinitions and custom resources driven by KubernetesClient against a real <c>k3s server</c>: the
/// definition becomes Established, its objects get schema defaults, 422 causes in kube-openapi's words, a status
/// subresource that spec writes cannot touch, generations, selectors, paging, and a watch that sees every change in
/// order; deleting the definition takes its objects and its API with it.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class CustomResourceClientTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    private const string Group = "clients.example.com";
    private const string Plural = "widgets";
    private const string Ns = "default";

    [Fact]
    public async Task Definition_Establishes_AndItsObjectsBehaveAsKubeApiserversDo()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(Definition(), cancellationToken: ct);
        var established = await Eventually.UntilAsync(
            () => client.ApiextensionsV1.ReadCustomResourceDefinitionAsync($"{Plural}.{Group}", cancellationToken: ct),
            d => d.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true,
            TimeSpan.FromSeconds(10),
            ct);
        established.Status.Conditions.Should().Contain(c => c.Type == "Established" && c.Status == "True", "the definition is served");
        established.Status.AcceptedNames.Kind.Should().Be("Widget");
        established.Status.StoredVersions.Should().Equal("v1");

        var created = Parse(await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("alpha", size: 1, team: "a"), Group, "v1", Ns, Plural, cancellationToken: ct));
        created.GetProperty("spec").GetProperty("color").GetString().Should().Be("red", "the schema's default is applied");
        created.GetProperty("metadata").GetProperty("generation").GetInt64().Should().Be(1);
        var from = created.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("beta", size: 2, team: "b"), Group, "v1", Ns, Plural, cancellationToken: ct);

        // Watch alpha's changes from its creation.
        var seen = new List<(WatchEventType Type, long Size, string? Phase, string Version)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(TimeSpan.FromSeconds(20));
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, raw) in client.CustomObjects.WatchListNamespacedCustomObjectAsync(Group, "v1", Ns, Plural, fieldSelector: "metadata.name=alpha", resourceVersion: from, cancellationToken: stop.Token))
            {
                var item = Parse(raw);
                seen.Add((type, item.GetProperty("spec").GetProperty("size").GetInt64(), item.TryGetProperty("status", out var status) ? status.GetProperty("phase").GetString() : null, item.GetProperty("metadata").GetProperty("resourceVersion").GetString()!));
                if (type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        }, ct);

        var patched = Parse(await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"size":5}}""", V1Patch.PatchType.MergePatch), Group, "v1", Ns, Plural, "alpha", cancellationToken: ct));
        patched.GetProperty("metadata").GetProperty("generation").GetInt64().Should().Be(2, "a spec change moves the generation");

        // The status subresource writes status only: the spec in the body is ignored, and the generation stays.
        var current = Parse(await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1", Ns, Plural, "alpha", cancellationToken: ct));
        var withStatus = JsonSerializer.Deserialize<Dictionary<string, object>>(current.GetRawText())!;
        withStatus["status"] = new Dictionary<string, string> { ["phase"] = "Ready" };
        withStatus["spec"] = new Dictionary<string, object> { ["size"] = 9 };
        var statusWritten = Parse(await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(withStatus, Group, "v1", Ns, Plural, "alpha", cancellationToken: ct));
        (statusWritten.GetProperty("spec").GetProperty("size").GetInt64(), statusWritten.GetProperty("status").GetProperty("phase").GetString(), statusWritten.GetProperty("metadata").GetProperty("generation").GetInt64())
            .Should().Be((5, "Ready", 2));

        // A spec write cannot change status either.
        var specWrite = Parse(await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"size":6},"status":{"phase":"Gone"}}""", V1Patch.PatchType.MergePatch), Group, "v1", Ns, Plural, "alpha", cancellationToken: ct));
        specWrite.GetProperty("status").GetProperty("phase").GetString().Should().Be("Ready");

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, "v1", Ns, Plural, "alpha", cancellationToken: ct);
        await watching;
        seen.Select(e => (e.Type, e.Size, e.Phase)).Should().Equal(
            (WatchEventType.Modified, 5L, (string?)null), (WatchEventType.Modified, 5L, "Ready"), (WatchEventType.Modified, 6L, "Ready"), (WatchEventType.Deleted, 6L, "Ready"));
        seen.Select(e => long.Parse(e.Version, System.Globalization.CultureInfo.InvariantCulture)).Should().BeInAscendingOrder();

        // Selectors and paging.
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("gamma", size: 3, team: "b"), Group, "v1", Ns, Plural, cancellationToken: ct);
        var teamB = Parse(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, "v1", Ns, Plural, labelSelector: "team=b", cancellationToken: ct));
        teamB.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()).Should().Equal("beta", "gamma");
        teamB.GetProperty("kind").GetString().Should().Be("WidgetList");
        var page = Parse(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, "v1", Ns, Plural, limit: 1, cancellationToken: ct));
        page.GetProperty("items").GetArrayLength().Should().Be(1);
        var next = Parse(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, "v1", Ns, Plural, limit: 1, continueParameter: page.GetProperty("metadata").GetProperty("continue").GetString(), cancellationToken: ct));
        next.GetProperty("items")[0].GetProperty("metadata").GetProperty("name").GetString().Should().Be("gamma");

        // The schema refuses bad values with 422 and one cause per field.
        var invalid = () => client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("bad", size: 0, team: "a", color: "green"), Group, "v1", Ns, Plural, cancellationToken: ct);
        var refused = (await invalid.Should().ThrowAsync<HttpOperationException>()).Which.Response;
        ((int)refused.StatusCode).Should().Be(422);
        var status = JsonDocument.Parse(refused.Content).RootElement;
        status.GetProperty("reason").GetString().Should().Be("Invalid");
        status.GetProperty("details").GetProperty("causes").EnumerateArray()
            .Select(c => (c.GetProperty("reason").GetString(), c.GetProperty("field").GetString(), c.GetProperty("message").GetString()))
            .Should().BeEquivalentTo(new[]
            {
                ("FieldValueInvalid", "spec.size", "Invalid value: 0: spec.size in body should be greater than or equal to 1"),
                ("FieldValueNotSupported", "spec.color", "Unsupported value: \"green\": supported values: \"red\", \"blue\""),
            });

        // Deleting the definition deletes its objects and stops serving its API.
        await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync($"{Plural}.{Group}", cancellationToken: ct);
        var list = () => client.CustomObjects.ListNamespacedCustomObjectAsync(Group, "v1", Ns, Plural, cancellationToken: ct);
        await Eventually.UntilAsync(async () => { try { await list(); return false; } catch (HttpOperationException) { return true; } }, gone => gone, TimeSpan.FromSeconds(10), ct);
        ((int)(await list.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode).Should().Be(404);
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(Definition(), cancellationToken: ct);
        var again = await Eventually.UntilAsync(async () => { try { return Parse(await list()).GetProperty("items").GetArrayLength(); } catch (HttpOperationException) { return -1; } }, n => n >= 0, TimeSpan.FromSeconds(10), ct);
        again.Should().Be(0, "the objects went with their definition");
    }

    private static JsonElement Parse(object response) => response is JsonElement element ? element : JsonSerializer.SerializeToElement(response);

    private static Dictionary<string, object> Widget(string name, int size, string team, string? color = null)
    {
        var spec = new Dictionary<string, object> { ["size"] = size };
        if (color is not null)
        {
            spec["color"] = color;
        }

        return new Dictionary<string, object>
        {
            ["apiVersion"] = $"{Group}/v1",
            ["kind"] = "Widget",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["labels"] = new Dictionary<string, string> { ["team"] = team } },
            ["spec"] = spec,
        };
    }

    private static V1CustomResourceDefinition Definition() => new()
    {
        Metadata = new V1ObjectMeta { Name = $"{Plural}.{Group}" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = Group,
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = Plural, Kind = "Widget" },
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = "v1",
                    Served = true,
                    Storage = true,
                    Subresources = new V1CustomResourceSubresources { Status = new object() },
                    Schema = new V1CustomResourceValidation
                    {
                        OpenAPIV3Schema = new V1JSONSchemaProps
                        {
                            Type = "object",
                            Properties = new Dictionary<string, V1JSONSchemaProps>
                            {
                                ["spec"] = new()
                                {
                                    Type = "object",
                                    Properties = new Dictionary<string, V1JSONSchemaProps>
                                    {
                                        ["size"] = new() { Type = "integer", Minimum = 1 },
                                        ["color"] = new() { Type = "string", EnumProperty = ["red", "blue"], DefaultProperty = "red" },
                                    },
                                },
                                ["status"] = new() { Type = "object", Properties = new Dictionary<string, V1JSONSchemaProps> { ["phase"] = new() { Type = "string" } } },
                            },
                        },
                    },
                },
            ],
        },
    };
}
