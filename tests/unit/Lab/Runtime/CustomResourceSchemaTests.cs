using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Extensions;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class CustomResourceSchemaTests
{
    private static readonly JsonObject Schema = (JsonObject)JsonNode.Parse("""
        {"type":"object","properties":{
          "spec":{"type":"object","required":["size"],"properties":{
            "size":{"type":"integer","minimum":1,"maximum":10},
            "ratio":{"type":"number","exclusiveMaximum":true,"maximum":1},
            "color":{"type":"string","enum":["red","blue"],"default":"red"},
            "name":{"type":"string","maxLength":5,"pattern":"^[a-z]+$"},
            "port":{"x-kubernetes-int-or-string":true},
            "tags":{"type":"array","maxItems":2,"items":{"type":"string"}},
            "labels":{"type":"object","additionalProperties":{"type":"string"}},
            "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
            "maybe":{"type":"string","nullable":true}}},
          "status":{"type":"object","properties":{"phase":{"type":"string"}}}}}
        """)!;

    [Fact]
    public void Prune_DropsUndeclaredFields_KeepsPreservedAndMaps_AndFillsDefaults()
    {
        var obj = Parse("""{"apiVersion":"x/v1","kind":"W","metadata":{"name":"a"},"spec":{"size":1,"extra":1,"labels":{"k":"v"},"free":{"any":{"thing":1}},"tags":[]},"other":true}""");

        var unknown = StructuralSchema.Prune(obj, Schema);

        unknown.Should().Equal("spec.extra", "other");
        obj.ToJsonString().Should().Be("""{"apiVersion":"x/v1","kind":"W","metadata":{"name":"a"},"spec":{"size":1,"labels":{"k":"v"},"free":{"any":{"thing":1}},"tags":[],"color":"red"}}""");
    }

    [Fact]
    public void Validate_ReportsEveryViolation_InKubeOpenApisWords()
    {
        var obj = Parse("""{"spec":{"size":"big","ratio":1,"color":"green","name":"Abcdefg","tags":["a","b","c"],"labels":{"k":5},"port":true,"maybe":null}}""");

        var causes = StructuralSchema.Validate(obj, Schema);

        causes.Should().Equal(
            new StatusCause("FieldValueTypeInvalid", "Invalid value: \"string\": spec.size in body must be of type integer: \"string\"", "spec.size"),
            new StatusCause("FieldValueInvalid", "Invalid value: 1: spec.ratio in body should be less than 1", "spec.ratio"),
            new StatusCause("FieldValueNotSupported", "Unsupported value: \"green\": supported values: \"red\", \"blue\"", "spec.color"),
            new StatusCause("FieldValueTooLong", "Too long: may not be more than 5 bytes", "spec.name"),
            new StatusCause("FieldValueInvalid", "Invalid value: \"Abcdefg\": spec.name in body should match '^[a-z]+$'", "spec.name"),
            new StatusCause("FieldValueTooMany", "Too many: 3: must have at most 2 items", "spec.tags"),
            new StatusCause("FieldValueTypeInvalid", "Invalid value: \"integer\": spec.labels.k in body must be of type string: \"integer\"", "spec.labels.k"),
            new StatusCause("FieldValueTypeInvalid", "Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"", "spec.port"));
    }

    [Fact]
    public void Validate_RequiredAndBounds()
    {
        StructuralSchema.Validate(Parse("""{"spec":{}}"""), Schema).Should().Equal(new StatusCause("FieldValueRequired", "Required value", "spec.size"));
        StructuralSchema.Validate(Parse("""{"spec":{"size":0}}"""), Schema).Should().Equal(
            new StatusCause("FieldValueInvalid", "Invalid value: 0: spec.size in body should be greater than or equal to 1", "spec.size"));
        StructuralSchema.Validate(Parse("""{"spec":{"size":10,"port":"http","maybe":null}}"""), Schema).Should().BeEmpty();
    }

    [Theory]
    [InlineData(".spec.replicas", """{"spec":{"replicas":3}}""", "3")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", """{"status":{"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True"}]}}""", "\"True\"")]
    [InlineData(".spec.items[1].name", """{"spec":{"items":[{"name":"a"},{"name":"b"}]}}""", "\"b\"")]
    [InlineData(".metadata.labels['app.kubernetes.io/name']", """{"metadata":{"labels":{"app.kubernetes.io/name":"web"}}}""", "\"web\"")]
    [InlineData(".spec.missing", """{"spec":{}}""", "")]
    public void SimpleJsonPath_FindsWhatPrinterColumnsAskFor(string path, string json, string expected)
    {
        var found = SimpleJsonPath.Compile(path)(JsonNode.Parse(json));

        string.Join(",", found.Select(n => n!.ToJsonString())).Should().Be(expected);
    }

    [Fact]
    public void VersionPriority_OrdersAsKubernetesDoes()
    {
        new[] { "v1alpha1", "foo", "v1", "v2beta1", "v1beta2", "v2", "bar", "v1beta1" }.Order(VersionPriority.Comparer)
            .Should().Equal("v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1", "bar", "foo");
    }

    [Fact]
    public void Definition_IsDefaulted_Validated_AndServesItsVersions()
    {
        var crd = Parse("""
            {"metadata":{"name":"things.a.io"},"spec":{"group":"a.io","scope":"Cluster",
             "names":{"plural":"things","kind":"Thing","shortNames":["th"],"categories":["all"]},
             "versions":[{"name":"v1beta1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object"}}},
                         {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}},"subresources":{"status":{}},
                          "additionalPrinterColumns":[{"name":"Phase","type":"string","jsonPath":".status.phase"}]},
                         {"name":"v0","served":false,"storage":false,"schema":{"openAPIV3Schema":{"type":"object"}}}]}}
            """);

        CrdResources.ApplyDefaults(crd);
        CrdResources.Validate(crd).Should().BeEmpty();
        crd["spec"]!["names"]!["singular"]!.GetValue<string>().Should().Be("thing");
        crd["spec"]!["names"]!["listKind"]!.GetValue<string>().Should().Be("ThingList");

        var served = CrdResources.From(crd);
        served.Select(r => r.Version).Should().Equal("v1", "v1beta1");
        served[0].Namespaced.Should().BeFalse();
        served[0].ShortNames.Should().Equal("th");
        served[0].Subresources.Select(s => s.Name).Should().Equal("status");
        served[0].Custom!.StorageVersion.Should().Be("v1");
        served[0].Custom!.Columns.Select(c => c.Name).Should().Equal("Name", "Phase");
        served[1].Custom!.Columns.Select(c => c.Name).Should().Equal("Name", "Age");
    }

    [Fact]
    public void Definition_Refusals_NameTheFields()
    {
        var crd = Parse("""{"metadata":{"name":"wrong"},"spec":{"group":"nodots","scope":"Everywhere","names":{"plural":"things"},"versions":[{"name":"v1","served":true,"storage":false}]}}""");

        CrdResources.Validate(crd).Select(c => (c.Field, c.Message)).Should().Equal(
            ("spec.group", "Invalid value: \"nodots\": should be a domain with at least one dot"),
            ("spec.names.kind", "Required value"),
            ("metadata.name", "Invalid value: \"wrong\": must be spec.names.plural+\".\"+spec.group"),
            ("spec.scope", "Unsupported value: \"Everywhere\": supported values: \"Cluster\", \"Namespaced\""),
            ("spec.versions", "Invalid value: \"\": must have exactly one version marked as storage version"),
            ("spec.versions[0].schema.openAPIV3Schema", "Required value: schemas are required"));
    }

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
