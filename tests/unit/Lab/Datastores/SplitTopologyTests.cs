using System.Net;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Tests.Datastores;

/// <summary>
/// <c>k3slab up --topology</c>: the words, how they combine with <c>--datastore</c>, and split topology's commands,
/// flags, addresses and voter count, without Docker.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SplitTopologyTests
{
    [Theory]
    [InlineData(null, "stacked", LabDatastore.Embedded)]
    [InlineData(null, "external", LabDatastore.Etcd)]
    [InlineData(null, "split", LabDatastore.Split)]
    [InlineData("embedded", "stacked", LabDatastore.Embedded)]
    [InlineData("auto", "split", LabDatastore.Split)]
    [InlineData("postgres", null, LabDatastore.Postgres)]
    [InlineData(null, null, LabDatastore.Auto)]
    public void Choose_TopologyNamesTheDatastore(string? datastore, string? topology, LabDatastore expected)
    {
        LabDatastores.Choose(datastore, topology).Should().Be(expected);
    }

    [Fact]
    public void Choose_Contradictions_AreRefusedNamingBoth()
    {
        var mixed = () => LabDatastores.Choose("etcd", "split");
        var unknown = () => LabDatastores.Choose(null, "mesh");

        mixed.Should().Throw<LabSetupException>().WithMessage("--topology split and --datastore etcd contradict each other*");
        unknown.Should().Throw<LabSetupException>().WithMessage("--topology mesh is not one of stacked, external, split");
        LabDatastores.Parse("split").Should().BeNull("split is a topology, not a --datastore word");
        LabDatastores.Word(LabDatastore.Split).Should().Be("split");
    }

    [Fact]
    public void EtcdServerCommand_FirstInitialises_OthersJoinIt_AllWithTheRoleFlags()
    {
        var first = SplitTopology.EtcdServerCommand(IPAddress.Parse("172.28.0.3"), "t", null, ["--cluster-cidr", "10.99.0.0/16"]);
        var second = SplitTopology.EtcdServerCommand(IPAddress.Parse("172.28.0.4"), "t", IPAddress.Parse("172.28.0.3"), []);

        first.Should().StartWith(["k3s", "server", "--token", "t", "--node-ip", "172.28.0.3", "--cluster-init"]);
        first.Should().Contain(["--disable-apiserver", "--disable-controller-manager", "--disable-scheduler", "--disable-agent"]).And.EndWith(["--cluster-cidr", "10.99.0.0/16"]);
        second.Should().ContainInOrder("--server", "https://172.28.0.3:6443").And.NotContain("--cluster-init");
        SplitTopology.ControlPlaneArgs(IPAddress.Parse("172.28.0.3")).Should().Equal("--disable-etcd", "--server", "https://172.28.0.3:6443");
    }

    [Fact]
    public void ControlPlaneServers_GetDisableEtcd_AndNeverInitialise()
    {
        var spec = new ClusterSpec("c", 2, 1, 0, TimeSpan.FromMinutes(3), KeepOnFailure: false) { Datastore = LabDatastore.Split };
        var connection = new DatastoreConnection(SplitTopology.ControlPlaneArgs(IPAddress.Parse("172.28.0.3")), [], "3 etcd-only server(s)");

        var first = ClusterCreator.ServerCommand(spec, IPAddress.Parse("172.28.0.10"), IPAddress.Parse("172.28.0.2"), "t", first: true, "https://172.28.0.2:6443", connection);

        first.Should().NotContain("--cluster-init").And.ContainInOrder("--disable-etcd", "--server", "https://172.28.0.3:6443");
        spec.Problem().Should().BeNull();
        spec.External.Should().BeTrue();
        spec.ResolvedDatastore.NeedsDatastoreImage().Should().BeFalse("etcd-only servers run the k3s node image");
        (spec with { EtcdMembers = 4 }).Problem().Should().StartWith("The etcd-only servers of --topology split are an odd number");
        (spec with { ServerArgs = ["--disable-etcd"] }).Problem().Should().StartWith("--k3s-server-arg --disable-etcd conflicts with --topology split");
        (spec with { ServerArgs = ["--disable-scheduler"] }).Problem().Should().StartWith("--k3s-server-arg --disable-scheduler conflicts with --topology split");
    }

    [Fact]
    public void EtcdServers_TakeTheDatastoreAddresses_AndTheirOwnName()
    {
        var plan = new NetworkPlan(IPNetwork.Parse("172.28.7.0/24"));

        plan.AddressOf(NodeRole.EtcdServer, 0).Should().Be(IPAddress.Parse("172.28.7.3"));
        LabNaming.NodeName("c", NodeRole.EtcdServer, 1).Should().Be("k3slab-c-etcd-server-1");
        LabNaming.ParseRole("etcd-server").Should().Be(NodeRole.EtcdServer);
        LabNaming.IsDatastore(NodeRole.EtcdServer).Should().BeTrue();
        LabNaming.IsK3sNode(NodeRole.EtcdServer).Should().BeFalse("an etcd-only server registers no Node");
        ClusterLifecycle.StartOrder([new LabNode("k3slab-c-server-0", "c", NodeRole.Server, 0, IPAddress.Parse("172.28.7.10"), "exited"), new LabNode("k3slab-c-etcd-server-0", "c", NodeRole.EtcdServer, 0, IPAddress.Parse("172.28.7.3"), "exited")])
            .Select(n => n.Role).Should().Equal(NodeRole.EtcdServer, NodeRole.Server);
    }

    [Fact]
    public void Voters_CountStartedNonLearners_InEtcdctlSimpleOutput()
    {
        const string List = """
            8e9e05c52164694d, started, e0-1a2b3c4d, https://172.28.0.3:2380, https://172.28.0.3:2379, false
            91bc3c398fb3c146, started, e1-5e6f7a8b, https://172.28.0.4:2380, https://172.28.0.4:2379, false
            fd422379fda50e48, started, e2-9c0d1e2f, https://172.28.0.5:2380, https://172.28.0.5:2379, true
            2a6f3b7c8d9e0f1a, unstarted, , https://172.28.0.6:2380, , true
            """;

        SplitTopology.Voters(List).Should().Be(2);
        SplitTopology.Voters("").Should().Be(0);
    }
}
