using System.Net;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class ClusterLifecycleTests
{
    private static readonly LabNode[] Nodes =
    [
        Node(NodeRole.Agent, 1), Node(NodeRole.Server, 2), Node(NodeRole.LoadBalancer, 0), Node(NodeRole.Etcd, 1),
        Node(NodeRole.Server, 0), Node(NodeRole.Agent, 0), Node(NodeRole.Etcd, 0), Node(NodeRole.Server, 1),
    ];

    [Fact]
    public void StartOrder_DatastoreThenBalancerThenServer0ThenServersThenAgents()
    {
        ClusterLifecycle.StartOrder(Nodes).Select(n => n.Name).Should().Equal(
            "etcd-0", "etcd-1", "lb-0", "server-0", "server-1", "server-2", "agent-0", "agent-1");
    }

    [Fact]
    public void StopOrder_AgentsThenServersDownToServer0ThenBalancerThenDatastore()
    {
        ClusterLifecycle.StopOrder(Nodes).Select(n => n.Name).Should().Equal(
            "agent-1", "agent-0", "server-2", "server-1", "server-0", "lb-0", "etcd-1", "etcd-0");
    }

    private static LabNode Node(NodeRole role, int index) =>
        new($"{role.ToString().ToLowerInvariant().Replace("loadbalancer", "lb", StringComparison.Ordinal)}-{index}", "c", role, index, IPAddress.Loopback, "running");
}
