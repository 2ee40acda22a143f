using System.Net;
using System.Text;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Server;
using K3sLab.K3s.Server.Embedded;

namespace K3sLab.Lab.Tests.Server;

/// <summary>The split-role rules: k3s's flag refusals with its words, the members a control-plane-only server uses, and the <c>k3s/apiaddresses</c> wire form.</summary>
[Trait("Category", "Unit")]
public sealed class ServerRolesTests
{
    private static readonly Uri Join = new("https://10.0.0.2:6443");

    private static readonly ServerSettings Defaults = new(
        new DataDir("/var/lib/rancher/k3s"), "secret", null, IPAddress.Any, 6443, IPAddress.Parse("10.0.0.9"), null, "node-a", [], "/tmp/k3s.yaml", null, "cluster.local", "10.43.0.0/16");

    private static readonly ControllerSettings NoControllers = ControllerSettings.Default with { DisableControllerManager = true, DisableScheduler = true };

    [Fact]
    public void Refusal_DisableEtcdWithoutServer_IsK3sMessage() =>
        ServerRoles.Refusal(Defaults with { DisableEtcd = true }, hasEmbeddedData: false).Should().Be("invalid flag use; --server is required with --disable-etcd");

    [Fact]
    public void Refusal_DisableApiServerWithDatastoreEndpoint_IsK3sMessage() =>
        ServerRoles.Refusal(Defaults with { DisableApiServer = true, Controllers = NoControllers, DatastoreEndpoint = "https://10.0.0.5:2379" }, hasEmbeddedData: false)
            .Should().Be("invalid flag use; cannot use --disable-apiserver with --datastore-endpoint");

    [Fact]
    public void Refusal_DisableEtcdWithDatastoreEndpoint_IsK3sMessage() =>
        ServerRoles.Refusal(Defaults with { DisableEtcd = true, ServerUrl = Join, DatastoreEndpoint = "postgres://k3s@db/k3s" }, hasEmbeddedData: false)
            .Should().Be("invalid flag use; cannot use --disable-etcd with --datastore-endpoint");

    [Fact]
    public void Refusal_DisableEtcdWithoutServerAndWithEndpoint_NamesTheMissingServerFirst_AsK3sChecksInThatOrder() =>
        ServerRoles.Refusal(Defaults with { DisableEtcd = true, DatastoreEndpoint = "https://10.0.0.5:2379" }, hasEmbeddedData: false)
            .Should().Be("invalid flag use; --server is required with --disable-etcd");

    [Theory]
    [InlineData(true, true, false, false, "nothing to run")]
    [InlineData(false, true, false, false, "needs the embedded datastore: add --cluster-init")]
    [InlineData(false, true, true, true, "controller manager and scheduler only beside an API server")]
    public void Refusal_CombinationsThisBuildDoesNotRun_SayWhatToChange(bool disableEtcd, bool disableApiServer, bool clusterInit, bool controllersOn, string message)
    {
        var settings = Defaults with
        {
            DisableEtcd = disableEtcd,
            DisableApiServer = disableApiServer,
            ClusterInit = clusterInit,
            ServerUrl = disableEtcd ? Join : null,
            Controllers = controllersOn ? ControllerSettings.Default : NoControllers,
        };

        ServerRoles.Refusal(settings, hasEmbeddedData: false).Should().Contain(message);
    }

    [Fact]
    public void Refusal_DisableEtcdOnAServerWithMemberData_IsRefused() =>
        ServerRoles.Refusal(Defaults with { DisableEtcd = true, ServerUrl = Join }, hasEmbeddedData: true).Should().Contain("holds datastore member data");

    [Theory]
    [InlineData(false, false, false, true)]
    [InlineData(true, false, false, true)]
    [InlineData(false, true, true, false)]
    [InlineData(false, true, false, true)]
    public void Refusal_RunnableRoles_AreAccepted(bool disableEtcd, bool disableApiServer, bool clusterInit, bool server)
    {
        var settings = Defaults with
        {
            DisableEtcd = disableEtcd,
            DisableApiServer = disableApiServer,
            ClusterInit = clusterInit,
            ServerUrl = server ? Join : null,
            Controllers = disableApiServer ? NoControllers : ControllerSettings.Default,
        };

        ServerRoles.Refusal(settings, hasEmbeddedData: false).Should().BeNull();
    }

    [Fact]
    public void Check_ThrowsTheRefusalAsABootstrapException() =>
        FluentActions.Invoking(() => ServerRoles.Check(Defaults with { DisableEtcd = true }, hasEmbeddedData: false))
            .Should().Throw<BootstrapException>().WithMessage("invalid flag use; --server is required with --disable-etcd");

    [Fact]
    public void Endpoints_PutTheJoinServersMemberFirst_AndLeaveLearnersOut()
    {
        ClusterMember[] members =
        [
            new(1, "a-00000001", ["https://10.0.0.1:2380"], ["https://10.0.0.1:2379"], false),
            new(2, "b-00000002", ["https://10.0.0.2:2380"], ["https://10.0.0.2:2379"], false),
            new(3, "c-00000003", ["https://10.0.0.3:2380"], ["https://10.0.0.3:2379"], true),
            new(4, "d-00000004", ["https://10.0.0.4:2380"], ["https://10.0.0.4:2379"], false),
        ];

        ClusterEtcdClient.Endpoints(members, Join).Should().Be("https://10.0.0.2:2379,https://10.0.0.1:2379,https://10.0.0.4:2379");
        ClusterEtcdClient.Endpoints(members, new Uri("https://10.0.0.3:6443")).Should().Be("https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.4:2379", "the join server's member is a learner");
        FluentActions.Invoking(() => ClusterEtcdClient.Endpoints([members[2]], Join)).Should().Throw<BootstrapException>().WithMessage("*no voting datastore member*");
    }

    [Fact]
    public void ApiAddresses_RoundTripAsK3sJsonArray()
    {
        var json = ApiAddressKey.Render(["10.0.0.1:6443", "[fd00::1]:6443"]);
        json.Should().Be("[\"10.0.0.1:6443\",\"[fd00::1]:6443\"]");
        ApiAddressKey.Parse(Encoding.UTF8.GetBytes(json)).Should().Equal("10.0.0.1:6443", "[fd00::1]:6443");
        ApiAddressKey.Parse(Encoding.UTF8.GetBytes("{\"not\":\"an array\"}")).Should().BeEmpty();
        ApiAddressKey.Parse(Encoding.UTF8.GetBytes("not json")).Should().BeEmpty();
    }
}
