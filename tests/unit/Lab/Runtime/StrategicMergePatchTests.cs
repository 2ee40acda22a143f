using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class StrategicMergePatchTests
{
    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","finalizers":["a","b"],"labels":{"app":"web","tier":"front"}},
         "spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
          "template":{"spec":{
            "containers":[{"name":"app","image":"busybox","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80}]},
                          {"name":"side","image":"pause"}],
            "tolerations":[{"key":"x","operator":"Exists"}]}}}}
        """;

    private static JsonObject Patch(string original, string patch, string kind = "Deployment") =>
        Patches.Apply(Patches.StrategicMergePatchType, (JsonObject)JsonNode.Parse(original)!, JsonNode.Parse(patch)!, kind);

    private static JsonNode? At(JsonNode node, string path) =>
        path.Split('.').Aggregate<string, JsonNode?>(node, (n, p) => int.TryParse(p, out var i) ? n?[i] : n?[p]);

    [Fact]
    public void Containers_MergeByName_AndEnvByName()
    {
        var result = Patch(Deployment, """{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"busybox:2","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}}}}""");

        var containers = At(result, "spec.template.spec.containers")!.AsArray();
        containers.Select(c => c!["name"]!.GetValue<string>()).Should().Equal("app", "side");
        At(result, "spec.template.spec.containers.0.image")!.GetValue<string>().Should().Be("busybox:2");
        At(result, "spec.template.spec.containers.0.env")!.AsArray().Select(e => $"{e!["name"]}={e["value"]}").Should().Equal("A=1", "B=3", "C=4");
        At(result, "spec.template.spec.containers.0.ports.0.containerPort")!.GetValue<int>().Should().Be(80);
    }

    [Fact]
    public void PatchDelete_RemovesTheKeyedElement()
    {
        var result = Patch(Deployment, """{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}""");

        At(result, "spec.template.spec.containers")!.AsArray().Select(c => c!["name"]!.GetValue<string>()).Should().Equal("app");
    }

    [Fact]
    public void PatchReplace_InAList_ReplacesTheWholeList()
    {
        var result = Patch(Deployment, """{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"x"},{"$patch":"replace"}]}}}}""");

        At(result, "spec.template.spec.containers")!.ToJsonString().Should().Be("""[{"name":"only","image":"x"}]""");
    }

    [Fact]
    public void ListsWithoutAStrategy_AreReplaced()
    {
        var result = Patch(Deployment, """{"spec":{"template":{"spec":{"tolerations":[{"key":"y","operator":"Exists"}]}}}}""");

        At(result, "spec.template.spec.tolerations")!.ToJsonString().Should().Be("""[{"key":"y","operator":"Exists"}]""");
    }

    [Fact]
    public void Finalizers_MergeAsASet_AndDeleteFromPrimitiveList()
    {
        var added = Patch(Deployment, """{"metadata":{"finalizers":["b","c"]}}""");
        At(added, "metadata.finalizers")!.ToJsonString().Should().Be("""["a","b","c"]""");

        var removed = Patch(Deployment, """{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}""");
        At(removed, "metadata.finalizers")!.ToJsonString().Should().Be("""["b"]""");
    }

    [Fact]
    public void Null_DeletesAField_AndMapsMerge()
    {
        var result = Patch(Deployment, """{"metadata":{"labels":{"tier":null,"new":"yes"}}}""");

        At(result, "metadata.labels")!.ToJsonString().Should().Be("""{"app":"web","new":"yes"}""");
    }

    [Fact]
    public void RetainKeys_DropsFieldsNotListed()
    {
        // What kubectl apply sends when a Deployment's strategy changes from RollingUpdate to Recreate.
        var result = Patch(Deployment, """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}""");

        At(result, "spec.strategy")!.ToJsonString().Should().Be("""{"type":"Recreate"}""");
    }

    [Fact]
    public void MapPatchReplace_ReplacesTheMap()
    {
        var result = Patch(Deployment, """{"metadata":{"labels":{"$patch":"replace","only":"this"}}}""");

        At(result, "metadata.labels")!.ToJsonString().Should().Be("""{"only":"this"}""");
    }

    [Fact]
    public void SetElementOrder_OrdersTheMergedList_KeepingServerOnlyItemsInPlace()
    {
        var result = Patch(Deployment, """
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"new"},{"name":"app"}],"containers":[{"name":"new","image":"n"}]}}}}
            """);

        // "side" is only on the server: it keeps its place after "app", which the patch orders after "new".
        At(result, "spec.template.spec.containers")!.AsArray().Select(c => c!["name"]!.GetValue<string>()).Should().Equal("new", "app", "side");
    }

    [Fact]
    public void ServicePorts_MergeByPort()
    {
        const string service = """{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80,"name":"http"},{"port":443,"name":"https"}]}}""";

        var result = Patch(service, """{"spec":{"ports":[{"port":443,"targetPort":8443}]}}""", "Service");

        At(result, "spec.ports")!.ToJsonString().Should().Be("""[{"port":80,"name":"http"},{"port":443,"name":"https","targetPort":8443}]""");
    }

    [Fact]
    public void NewNestedObjects_AreStoredWithoutDirectives()
    {
        const string pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"busybox"}]}}""";

        var result = Patch(pod, """{"spec":{"affinity":{"$patch":"merge","nodeAffinity":{"x":1}}}}""", "Pod");

        At(result, "spec.affinity")!.ToJsonString().Should().Be("""{"nodeAffinity":{"x":1}}""");
    }

    [Fact]
    public void KindsWithoutStrategies_StillMergeMetadata_AndReplaceLists()
    {
        const string map = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","finalizers":["x"]},"data":{"a":"1","b":"2"}}""";

        var result = Patch(map, """{"metadata":{"finalizers":["y"]},"data":{"b":null,"c":"3"}}""", "ConfigMap");

        At(result, "metadata.finalizers")!.ToJsonString().Should().Be("""["x","y"]""");
        At(result, "data")!.ToJsonString().Should().Be("""{"a":"1","c":"3"}""");
    }

    [Theory]
    [InlineData("""{"spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}}""", "does not contain declared merge key: name")]
    [InlineData("""{"spec":{"template":{"spec":{"containers":["app"]}}}}""", "merged by \"name\"")]
    [InlineData("""{"metadata":{"labels":{"$patch":"explode"}}}""", "unknown patch type: explode")]
    [InlineData("""{"$patch":"delete"}""", "may not delete the whole object")]
    [InlineData("""{"metadata":{"$retainKeys":"name"}}""", "$retainKeys must hold a list")]
    public void MalformedPatches_AreBadRequests(string patch, string message)
    {
        var act = () => Patch(Deployment, patch);

        act.Should().Throw<ApiStatusException>().Where(e => e.Code == 400 && e.Message.Contains(message));
    }
}
