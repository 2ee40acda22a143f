using System.Text.Json.Nodes;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Server;
using K3sLab.K3s.Server.Embedded;

namespace K3sLab.Lab.Tests.Server;

/// <summary>The pure rules of k3s's server join: member names, the member to join through, critical configuration, bootstrap data.</summary>
[Trait("Category", "Unit")]
public sealed class EmbeddedJoinRulesTests
{
    [Theory]
    [InlineData("s1-0a1b2c3d", "s1", true)]
    [InlineData("s1-0A1B2C3D", "s1", false)]
    [InlineData("s1-0a1b2c3", "s1", false)]
    [InlineData("s10-0a1b2c3d", "s1", false)]
    [InlineData("s1-x-0a1b2c3d", "s1", false)]
    [InlineData("node-a-12345678", "node-a", true)]
    public void SameNode_MatchesOnlyNodeNameDashEightLowerHex(string member, string node, bool expected) =>
        EmbeddedDatastore.SameNode(member, node).Should().Be(expected);

    [Fact]
    public void JoinUrl_PrefersTheJoinServersOwnVoter_AndNeverALearner()
    {
        ClusterMember[] members =
        [
            new(1, "a-00000001", ["https://10.0.0.1:2380"], ["https://10.0.0.1:2379"], false),
            new(2, "b-00000002", ["https://10.0.0.2:2380"], ["https://10.0.0.2:2379"], false),
            new(3, "c-00000003", ["https://10.0.0.3:2380"], ["https://10.0.0.3:2379"], true),
        ];

        EmbeddedDatastore.JoinUrl(members, new Uri("https://10.0.0.2:6443")).Should().Be("https://10.0.0.2:2379");
        EmbeddedDatastore.JoinUrl(members, new Uri("https://10.0.0.3:6443")).Should().Be("https://10.0.0.1:2379", "the join server's member is a learner");
        EmbeddedDatastore.JoinUrl([members[2]], new Uri("https://10.0.0.3:6443")).Should().BeNull();
    }

    [Fact]
    public void MemberName_IsCreatedOnceAsNodeNameDashEightHex_ThenReused()
    {
        var root = Directory.CreateTempSubdirectory("k3slab-name-");
        try
        {
            var dir = new DataDir(root.FullName);
            var name = EmbeddedDatastore.MemberName(dir, "server-1");
            EmbeddedDatastore.SameNode(name, "server-1").Should().BeTrue(name);
            EmbeddedDatastore.MemberName(dir, "server-1").Should().Be(name);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void SupervisorConfig_TellsAgentsWhetherToRunTheServiceProxy_AndJoinersDoNotCompareIt()
    {
        var critical = new CriticalConfig("10.42.0.0/16", "10.43.0.0/16", "10.43.0.10", "cluster.local");
        var document = JsonNode.Parse(new K3sLab.K3s.Supervisor.SupervisorSettings(critical) { DisableKubeProxy = true }.ConfigJson())!.AsObject();
        document["DisableKubeProxy"]!.GetValue<bool>().Should().BeTrue();
        document["ServiceCIDR"]!.GetValue<string>().Should().Be("10.43.0.0/16");
        critical.Mismatches(document).Should().BeEmpty("whether a server runs the proxy is not a critical argument");
        JsonNode.Parse(new K3sLab.K3s.Supervisor.SupervisorSettings(critical).ConfigJson())!["DisableKubeProxy"]!.GetValue<bool>().Should().BeFalse();
    }

    [Fact]
    public void CriticalConfig_NamesEachDifferingFlag_AndIgnoresFieldsTheClusterDoesNotSend()
    {
        var mine = new CriticalConfig("10.99.0.0/16", "10.43.0.0/16", "10.43.0.10", "cluster.local");
        var cluster = JsonNode.Parse(new CriticalConfig("10.42.0.0/16", "10.43.0.0/16", "10.43.0.10", "example.org").ToJson())!.AsObject();

        mine.Mismatches(cluster).Should().Equal(
            "--cluster-cidr is 10.99.0.0/16 here but 10.42.0.0/16 in the cluster",
            "--cluster-domain is cluster.local here but example.org in the cluster");
        mine.Mismatches(new JsonObject()).Should().BeEmpty();
        mine.Mismatches(JsonNode.Parse(mine.ToJson())!.AsObject()).Should().BeEmpty();
    }

    [Fact]
    public void BootstrapData_CopiesEveryItemWithItsMode_AndRefusesAnIncompleteDocument()
    {
        var from = Directory.CreateTempSubdirectory("k3slab-boot-");
        var to = Directory.CreateTempSubdirectory("k3slab-boot-");
        try
        {
            var source = new DataDir(from.FullName);
            string[] files = ["tls/server-ca.crt", "tls/server-ca.key", "tls/client-ca.crt", "tls/client-ca.key", "tls/request-header-ca.crt", "tls/request-header-ca.key", "tls/service.key", "tls/etcd/server-ca.crt", "tls/etcd/server-ca.key", "tls/etcd/peer-ca.crt", "tls/etcd/peer-ca.key", "cred/passwd"];
            foreach (var file in files)
            {
                AtomicFile.Write(Path.Combine(source.Server, file), "content of " + file);
            }

            var json = BootstrapData.Render(source);
            var target = new DataDir(to.FullName);
            BootstrapData.Write(target, json).Should().Be(files.Length);
            foreach (var file in files)
            {
                File.ReadAllText(Path.Combine(target.Server, file)).Should().Be("content of " + file);
            }

            File.GetUnixFileMode(Path.Combine(target.Server, "tls/server-ca.key")).Should().Be(AtomicFile.OwnerOnly);
            File.GetUnixFileMode(Path.Combine(target.Server, "tls/server-ca.crt")).Should().Be(AtomicFile.WorldReadable);

            var incomplete = JsonNode.Parse(json)!.AsObject();
            incomplete.Remove("ETCDPeerCAKey");
            var write = () => BootstrapData.Write(new DataDir(Path.Combine(to.FullName, "other")), incomplete.ToJsonString());
            write.Should().Throw<BootstrapException>().WithMessage("*lacks ETCDPeerCAKey*");
            Directory.Exists(Path.Combine(to.FullName, "other")).Should().BeFalse("nothing is written from an incomplete document");
        }
        finally
        {
            from.Delete(recursive: true);
            to.Delete(recursive: true);
        }
    }
}
