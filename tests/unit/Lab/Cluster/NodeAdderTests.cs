using System.Net;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class NodeAdderTests
{
    private static readonly IPAddress New = IPAddress.Parse("172.28.0.13");
    private const string Join = "https://172.28.0.2:6443";

    [Fact]
    public void CommandFrom_TheInitServer_DropsClusterInit_AndJoinsThroughTheBalancer()
    {
        string[] init = ["k3s", "server", "--token", "t", "--node-ip", "172.28.0.10", "--tls-san", "172.28.0.2", "--cluster-init", "--disable-agent"];

        NodeAdder.CommandFrom(init, NodeRole.Server, New, Join).Should().Equal(
            "k3s", "server", "--token", "t", "--node-ip", "172.28.0.13", "--tls-san", "172.28.0.2", "--disable-agent", "--server", Join);
    }

    [Fact]
    public void CommandFrom_AJoinedServerOrAnAgent_ChangesOnlyTheNodeIp()
    {
        string[] joined = ["k3s", "server", "--token", "t", "--node-ip", "172.28.0.11", "--server", Join];
        string[] agent = ["k3s", "agent", "--server", Join, "--token", "t", "--node-ip", "172.28.0.100"];

        NodeAdder.CommandFrom(joined, NodeRole.Server, New, Join).Should().Equal("k3s", "server", "--token", "t", "--node-ip", "172.28.0.13", "--server", Join);
        NodeAdder.CommandFrom(agent, NodeRole.Agent, New, Join).Should().Equal("k3s", "agent", "--server", Join, "--token", "t", "--node-ip", "172.28.0.13");
    }

    [Fact]
    public void CommandFrom_AServerOnAnExternalDatastore_KeepsItsDatastoreFlags_AndJoinsNothing()
    {
        string[] external = ["k3s", "server", "--token", "t", "--node-ip", "172.28.0.10", "--datastore-endpoint", "postgres://k3s:pw@172.28.0.3:5432/k3s"];

        NodeAdder.CommandFrom(external, NodeRole.Server, New, Join).Should().Equal(
            "k3s", "server", "--token", "t", "--node-ip", "172.28.0.13", "--datastore-endpoint", "postgres://k3s:pw@172.28.0.3:5432/k3s");
    }

    [Fact]
    public void CommandFrom_TheOneServerOfASqliteCluster_IsRefusedWithTheWayOut()
    {
        string[] sqlite = ["k3s", "server", "--token", "t", "--node-ip", "172.28.0.10"];

        var add = () => NodeAdder.CommandFrom(sqlite, NodeRole.Server, New, Join);

        add.Should().Throw<LabSetupException>().WithMessage("*SQLite, which serves one server only*--servers 2 or more*");
    }
}
