using System.Net;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Tests.Cluster;

/// <summary>What several nodes joining at once may ask of a cluster, and where a node moved to another address goes.</summary>
[Trait("Category", "Unit")]
public sealed class NodeJoinAndMoveTests
{
    private static readonly LabNode Balancer = new("k3slab-c-lb", "c", NodeRole.LoadBalancer, 0, IPAddress.Parse("172.28.0.2"), "running");
    private static readonly LabNode Server = new("k3slab-c-server-0", "c", NodeRole.Server, 0, IPAddress.Parse("172.28.0.10"), "running");
    private static readonly LabNode Agent = new("k3slab-c-agent-0", "c", NodeRole.Agent, 0, IPAddress.Parse("172.28.0.100"), "running");

    [Fact]
    public void JoinProblem_AClusterWithAServerAndABalancer_TakesServersAndAgents()
    {
        NodeAdder.JoinProblem([Balancer, Server], 4, 0).Should().BeNull();
        NodeAdder.JoinProblem([Balancer, Server, Agent], 0, 3).Should().BeNull();
        NodeAdder.JoinProblem([Balancer, Server], 49, 150).Should().BeNull();
    }

    [Theory]
    [InlineData(0, 0, "join at least one server or agent")]
    [InlineData(-1, 2, "join counts cannot be negative (servers -1, agents 2)")]
    [InlineData(50, 0, "cluster 'c' would have 51 servers; the lab network has room for 50")]
    [InlineData(0, 151, "cluster 'c' would have 151 agents; the lab network has room for 150")]
    public void JoinProblem_BadCounts_AreRefused(int servers, int agents, string problem)
    {
        NodeAdder.JoinProblem([Balancer, Server], servers, agents).Should().Be(problem);
    }

    [Fact]
    public void JoinProblem_AgentsToAClusterWithoutServers_IsRefused()
    {
        NodeAdder.JoinProblem([Balancer, Agent], 0, 2).Should().Be("cluster 'c' has no server for the new agents to join (and none to copy); create one with 'k3slab up'");
        NodeAdder.JoinProblem([Server], 1, 0).Should().Be("cluster 'c' has no load balancer node to join through");
        NodeAdder.JoinProblem([], 1, 0).Should().StartWith("there is no such cluster");
    }

    [Fact]
    public void SpareAddress_IsTheHighestFreeAddressOfTheRole()
    {
        var plan = new NetworkPlan(IPNetwork.Parse("172.28.5.0/24"));

        plan.SpareAddress(NodeRole.Server, [IPAddress.Parse("172.28.5.10")]).Should().Be(IPAddress.Parse("172.28.5.59"));
        plan.SpareAddress(NodeRole.Server, [IPAddress.Parse("172.28.5.59"), IPAddress.Parse("172.28.5.58")]).Should().Be(IPAddress.Parse("172.28.5.57"));
        plan.SpareAddress(NodeRole.Agent, [IPAddress.Parse("172.28.5.100")]).Should().Be(IPAddress.Parse("172.28.5.249"));
        ((Action)(() => plan.SpareAddress(NodeRole.LoadBalancer, []))).Should().Throw<LabSetupException>().WithMessage("only servers and agents move*");
        ((Action)(() => plan.SpareAddress(NodeRole.Server, Enumerable.Range(10, 50).Select(h => IPAddress.Parse($"172.28.5.{h}"))))).Should().Throw<LabSetupException>().WithMessage("every server address of 172.28.5.0/24 is taken");
    }

    [Fact]
    public void CommandAt_ChangesOnlyTheNodeIp()
    {
        string[] server = ["k3s", "server", "--token", "t", "--node-ip", "172.28.0.10", "--tls-san", "172.28.0.2", "--cluster-init"];

        NodeMover.CommandAt(server, IPAddress.Parse("172.28.0.59")).Should().Equal("k3s", "server", "--token", "t", "--node-ip", "172.28.0.59", "--tls-san", "172.28.0.2", "--cluster-init");
        ((Action)(() => NodeMover.CommandAt(["k3s", "agent", "--node-ip"], IPAddress.Loopback))).Should().Throw<LabSetupException>().WithMessage("the node's command has no --node-ip to change*");
    }
}
