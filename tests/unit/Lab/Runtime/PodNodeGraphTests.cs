using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authorization;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class PodNodeGraphTests
{
    private const string Template = """
        {"metadata":{"name":"NAME","namespace":"apps"},
         "spec":{"serviceAccountName":"builder","imagePullSecrets":[{"name":"registry"}],
           "volumes":[{"name":"a","secret":{"secretName":"SECRET"}},{"name":"b","projected":{"sources":[{"configMap":{"name":"proj-cm"}},{"secret":{"name":"proj-secret"}}]}},
                      {"name":"c","persistentVolumeClaim":{"claimName":"data"}}],
           "initContainers":[{"name":"i","envFrom":[{"configMapRef":{"name":"init-env"}}]}],
           "containers":[{"name":"c","env":[{"name":"X","valueFrom":{"secretKeyRef":{"name":"env-secret","key":"k"}}}]}]}}
        """;

    private static JsonObject Pod(string name, string? node, string secret)
    {
        var pod = JsonNode.Parse(Template.Replace("NAME", name, StringComparison.Ordinal).Replace("SECRET", secret, StringComparison.Ordinal))!.AsObject();
        if (node is not null)
        {
            pod["spec"]!["nodeName"] = node;
        }

        return pod;
    }

    [Fact]
    public void References_CoverVolumesEnvPullSecretsAndTheServiceAccount()
    {
        var (node, references) = PodReferences.Of(Pod("p", "n1", "tls"));

        node.Should().Be("n1");
        references.Should().BeEquivalentTo(new (string, string)[]
        {
            ("serviceaccounts", "builder"), ("secrets", "registry"), ("secrets", "tls"), ("configmaps", "proj-cm"), ("secrets", "proj-secret"),
            ("persistentvolumeclaims", "data"), ("configmaps", "init-env"), ("secrets", "env-secret"),
        });
    }

    [Fact]
    public void Graph_FollowsBindingMovesAndDeletes_AndSharedReferencesLastUntilTheLastPod()
    {
        var graph = new PodNodeGraph();
        graph.Update("apps/p1", null, Pod("p1", null, "shared"));
        graph.NodeOfPod("apps", "p1").Should().BeNull("an unscheduled pod gives no node anything");
        graph.NodeReferences("n1", "secrets", "apps", "shared").Should().BeFalse();

        graph.Update("apps/p1", Pod("p1", null, "shared"), Pod("p1", "n1", "shared"));
        graph.Update("apps/p2", null, Pod("p2", "n1", "shared"));
        graph.NodeOfPod("apps", "p1").Should().Be("n1");
        graph.NodeReferences("n1", "secrets", "apps", "shared").Should().BeTrue();
        graph.NodeReferences("n2", "secrets", "apps", "shared").Should().BeFalse();
        graph.NodeReferences("n1", "secrets", "other", "shared").Should().BeFalse("references are per namespace");

        graph.Update("apps/p1", Pod("p1", "n1", "shared"), null);
        graph.NodeReferences("n1", "secrets", "apps", "shared").Should().BeTrue("p2 still uses it");
        graph.Update("apps/p2", Pod("p2", "n1", "shared"), null);
        graph.NodeReferences("n1", "secrets", "apps", "shared").Should().BeFalse();
        graph.NodeOfPod("apps", "p2").Should().BeNull();
    }
}
