using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class FieldSelectorTests
{
    [Theory]
    [InlineData("Pod", "spec.nodeName=n1", """{"spec":{"nodeName":"n1"}}""", true)]
    [InlineData("Pod", "spec.nodeName=n1", """{"spec":{"nodeName":"n2"}}""", false)]
    [InlineData("Pod", "spec.nodeName=", """{"spec":{}}""", true)]
    [InlineData("Pod", "status.phase!=Succeeded,status.phase!=Failed", """{"status":{"phase":"Running"}}""", true)]
    [InlineData("Pod", "spec.hostNetwork=false", """{"spec":{}}""", true)]
    [InlineData("Node", "spec.unschedulable==true", """{"spec":{"unschedulable":true}}""", true)]
    [InlineData("Event", "involvedObject.name=web,source=kubelet", """{"involvedObject":{"name":"web"},"source":{"component":"kubelet"}}""", true)]
    [InlineData("ReplicaSet", "status.replicas=0", """{"status":{"replicas":0}}""", true)]
    [InlineData("ConfigMap", "metadata.name=a", """{"metadata":{"name":"a"}}""", true)]
    public void Matches_TheFieldsKubeApiserverSelectsBy(string kind, string selector, string json, bool expected)
    {
        FieldSelector.Parse(selector, kind).Matches((JsonObject)JsonNode.Parse(json)!).Should().Be(expected);
    }

    [Fact]
    public void OtherFields_AreRefusedInKubeApiserversWords()
    {
        var parse = () => FieldSelector.Parse("spec.nodeName=n1", "ConfigMap");

        parse.Should().Throw<ApiStatusException>().Which.Message.Should().Be("field label not supported: spec.nodeName");
    }
}
