using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.OpenApi;
using K3sLab.K3s.ApiServer.Protobuf;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class OpenApiAndUnknownFieldsTests
{
    private static readonly OpenApiV3 Documents = new(ApiResourceCatalog.BuiltIn, "v1.33.5");

    [Fact]
    public void UnknownFields_ArePrunedWithKubePaths_InlinedAndMapFieldsKnown()
    {
        var pod = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"},"colour":"red"},
             "spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"1"}},"livenessProbe":{"httpGet":{"port":80},"extra":1}}],
                     "volumes":[{"name":"v","emptyDir":{}}]},
             "x":1}
            """)!.AsObject();

        var unknown = UnknownFields.Prune(pod, ProtoSchema.Kind("", "v1", "Pod")!);

        unknown.Should().Equal("metadata.colour", "spec.containers[0].livenessProbe.extra", "x");
        pod.ToJsonString().Should().NotContain("colour").And.Contain("\"emptyDir\":{}").And.Contain("\"httpGet\":{\"port\":80}");
    }

    [Fact]
    public void Kind_IsLookedUpInItsGroupsPackageOnly()
    {
        ProtoSchema.Kind("apps", "v1", "Deployment").Should().NotBeNull();
        ProtoSchema.Kind("", "v1", "Deployment").Should().BeNull();
        ProtoSchema.Kind("rbac.authorization.k8s.io", "v1", "Role").Should().NotBeNull();
    }

    [Fact]
    public void V3_PatchOperations_CarryTheObjectGvk_AndFieldValidation()
    {
        var index = JsonNode.Parse(Documents.Index)!["paths"]!.AsObject();
        index.Select(p => p.Key).Should().Contain(["api/v1", "apis/apps/v1", "apis/rbac.authorization.k8s.io/v1"]);
        index["apis/apps/v1"]!["serverRelativeURL"]!.GetValue<string>().Should().StartWith("/openapi/v3/apis/apps/v1?hash=");

        var apps = JsonNode.Parse(Documents.Document("apis/apps/v1")!)!;
        var patch = apps["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!;
        patch["x-kubernetes-group-version-kind"]!.ToJsonString().Should().Be("""{"group":"apps","kind":"Deployment","version":"v1"}""");
        patch["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Should().Contain("fieldValidation");

        var schemas = apps["components"]!["schemas"]!;
        schemas["io.k8s.api.apps.v1.Deployment"]!["x-kubernetes-group-version-kind"]!.ToJsonString().Should().Be("""[{"group":"apps","kind":"Deployment","version":"v1"}]""");
        var containers = schemas["io.k8s.api.core.v1.PodSpec"]!["properties"]!["containers"]!;
        containers["x-kubernetes-patch-merge-key"]!.GetValue<string>().Should().Be("name");
        containers["x-kubernetes-patch-strategy"]!.GetValue<string>().Should().Be("merge");
        schemas["io.k8s.api.apps.v1.DeploymentSpec"]!["properties"]!["strategy"]!["allOf"]![0]!["$ref"]!.GetValue<string>()
            .Should().Be("#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy");

        Documents.Document("apis/nothing/v1").Should().BeNull();
    }

    [Fact]
    public void V3_EveryReference_Resolves()
    {
        foreach (var document in Documents.Parsed)
        {
            var schemas = document["components"]!["schemas"]!.AsObject();
            var references = document.ToJsonString().Split("\"$ref\":\"#/components/schemas/").Skip(1).Select(r => r[..r.IndexOf('"', StringComparison.Ordinal)]).Distinct();
            references.Should().OnlyContain(r => schemas.ContainsKey(r));
        }
    }
}
