using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.Lab.Tests.Runtime;

/// <summary>The metadata-only view the garbage collector caches ConfigMaps and Secrets in.</summary>
[Trait("Category", "Unit")]
public sealed class ObjectMetadataTests
{
    [Fact]
    public void Project_KeepsTypeAndMetadata_DropsDataAndManagedFields()
    {
        var configMap = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"ConfigMap",
             "metadata":{"name":"c","namespace":"n","uid":"u1","resourceVersion":"42","finalizers":["f"],
                         "deletionTimestamp":"2026-12-02T00:00:00Z",
                         "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"d","uid":"u0"}],
                         "managedFields":[{"manager":"kubectl"}]},
             "data":{"big":"xxxxxxxx"}}
            """)!.AsObject();

        var projected = ObjectMetadata.Project(configMap);

        projected.ToJsonString().Should().Be(
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n","uid":"u1","resourceVersion":"42","finalizers":["f"],"deletionTimestamp":"2026-12-02T00:00:00Z","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"d","uid":"u0"}]}}""");
        configMap["data"]!["big"]!.GetValue<string>().Should().Be("xxxxxxxx", "the input is left whole");
        configMap["metadata"]!["managedFields"].Should().NotBeNull();
    }

    [Fact]
    public void Project_ObjectWithoutMetadata_KeepsWhatItHas()
    {
        var projected = ObjectMetadata.Project(new JsonObject { ["kind"] = "Secret", ["data"] = new JsonObject() });

        projected.ToJsonString().Should().Be("""{"kind":"Secret"}""");
    }
}
