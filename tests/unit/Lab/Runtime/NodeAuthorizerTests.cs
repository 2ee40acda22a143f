using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;

namespace K3sLab.Lab.Tests.Runtime;

[Trait("Category", "Unit")]
public sealed class NodeAuthorizerTests
{
    private static readonly UserInfo Agent1 = new("system:node:agent-1", ["system:nodes", "system:authenticated"]);
    private static readonly Graph Cluster = new();

    [Theory]
    [InlineData("update", "", "nodes", "status", "", "agent-1", true)]
    [InlineData("patch", "", "nodes", "", "", "agent-2", false)]
    [InlineData("create", "", "nodes", "", "", "", true)]
    [InlineData("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "agent-1", true)]
    [InlineData("update", "coordination.k8s.io", "leases", "", "kube-node-lease", "agent-2", false)]
    [InlineData("update", "coordination.k8s.io", "leases", "", "default", "agent-1", false)]
    [InlineData("patch", "", "pods", "status", "default", "web-on-1", true)]
    [InlineData("patch", "", "pods", "status", "default", "web-on-2", false)]
    [InlineData("delete", "", "pods", "", "default", "web-on-1", true)]
    [InlineData("delete", "", "pods", "", "default", "web-on-2", false)]
    [InlineData("get", "", "secrets", "", "default", "web-tls", true)]
    [InlineData("get", "", "secrets", "", "default", "db-password", false)]
    [InlineData("list", "", "secrets", "", "default", "", false)]
    [InlineData("create", "", "serviceaccounts", "token", "default", "web", true)]
    [InlineData("watch", "", "pods", "", "", "", true)]
    [InlineData("create", "", "events", "", "default", "", true)]
    public void Allows_OnlyWhatTheKubeletNeeds(string verb, string group, string resource, string sub, string ns, string name, bool allowed)
    {
        NodeAuthorizer.Allows(Agent1, new AccessRequest(verb, group, resource, sub, ns, name), Cluster).Should().Be(allowed);
    }

    [Fact]
    public void Allows_NoOpinionForOtherUsers()
    {
        var notANode = new UserInfo("system:node:agent-1", ["system:authenticated"]);

        NodeAuthorizer.Allows(notANode, new AccessRequest("update", "", "nodes", "", "", "agent-1"), Cluster).Should().BeFalse("the node group is required too");
        NodeAuthorizer.Allows(new UserInfo("alice", ["system:nodes"]), new AccessRequest("get", "", "pods", "", "", ""), Cluster).Should().BeFalse();
    }

    private sealed class Graph : INodeGraph
    {
        public string? NodeOfPod(string ns, string pod) => pod switch
        {
            "web-on-1" => "agent-1",
            "web-on-2" => "agent-2",
            _ => null,
        };

        public bool NodeReferences(string node, string resource, string ns, string name) =>
            node == "agent-1" && (resource, name) is ("secrets", "web-tls") or ("serviceaccounts", "web");
    }
}
