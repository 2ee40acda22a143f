using System.Net;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Tests.Datastores;

[Trait("Category", "Unit")]
public sealed class DatastoreTopologyTests
{
    private static readonly EtcdTopology Etcd = new("c", [IPAddress.Parse("172.28.0.3"), IPAddress.Parse("172.28.0.4"), IPAddress.Parse("172.28.0.5")]);

    [Fact]
    public void EtcdMemberCommand_BootstrapsOneClusterOfEveryMember_WithTlsOnBothPorts()
    {
        var command = Etcd.MemberCommand(1);

        command[0].Should().Be("etcd");
        Flag(command, "--name").Should().Be("k3slab-c-etcd-1");
        Flag(command, "--initial-cluster").Should().Be("k3slab-c-etcd-0=https://172.28.0.3:2380,k3slab-c-etcd-1=https://172.28.0.4:2380,k3slab-c-etcd-2=https://172.28.0.5:2380");
        Flag(command, "--advertise-client-urls").Should().Be("https://172.28.0.4:2379");
        Flag(command, "--initial-advertise-peer-urls").Should().Be("https://172.28.0.4:2380");
        Flag(command, "--initial-cluster-state").Should().Be("new");
        command.Should().Contain(["--client-cert-auth", "--peer-client-cert-auth"]);
        Flag(command, "--trusted-ca-file").Should().Be("/etc/k3slab/etcd/ca.crt");
        Flag(command, "--peer-key-file").Should().Be("/etc/k3slab/etcd/member.key");
    }

    [Fact]
    public void EtcdServerArgs_ListEveryMember_AndNameTheClientFilesTheServerGets()
    {
        var pki = DatastorePki.Create("c", Etcd.Members, DateTimeOffset.UnixEpoch.AddYears(55));

        var args = Etcd.ServerArgs();
        var files = EtcdTopology.ServerFiles(pki);

        Flag(args, "--datastore-endpoint").Should().Be("https://172.28.0.3:2379,https://172.28.0.4:2379,https://172.28.0.5:2379");
        files.Select(f => f.Path).Should().Equal(Flag(args, "--datastore-cafile"), Flag(args, "--datastore-certfile"), Flag(args, "--datastore-keyfile"));
        files.Single(f => f.Path.EndsWith(".key", StringComparison.Ordinal)).Mode.Should().Be(NodeFile.Secret);
        Etcd.MemberFiles(2, pki).Select(f => f.Path).Should().Contain("/etc/k3slab/etcd/member.key");
    }

    [Fact]
    public void PostgresEndpoint_EscapesThePassword_AndTheStartScriptRunsInitdbOnceThenPostgres()
    {
        var postgres = new PostgresTopology(IPAddress.Parse("172.28.0.3"), "p@ss/w:rd");

        postgres.Endpoint.Should().Be("postgres://k3s:p%40ss%2Fw%3Ard@172.28.0.3:5432/k3s?sslmode=disable");
        postgres.ServerArgs().Should().Equal("--datastore-endpoint", postgres.Endpoint);
        var script = System.Text.Encoding.UTF8.GetString(postgres.Files.Single(f => f.Path.EndsWith("start.sh", StringComparison.Ordinal)).Content);
        script.Should().Contain("if [ ! -s \"$data/PG_VERSION\" ]").And.Contain("--auth-host=scram-sha-256").And.Contain("exec $as_postgres \"$bin/postgres\"");
        script.Should().NotContain("p@ss", "the password is read from its own file");
        postgres.Files.Single(f => f.Path.EndsWith("password", StringComparison.Ordinal)).Mode.Should().Be(NodeFile.Secret);
        PostgresTopology.StopSignal.Should().Be("SIGINT", "SIGTERM is PostgreSQL's smart shutdown, which waits for the servers' pooled connections");
    }

    [Theory]
    [InlineData(LabDatastore.Etcd, "--datastore-endpoint=https://x:2379", "--k3s-server-arg --datastore-endpoint conflicts with --datastore etcd*")]
    [InlineData(LabDatastore.Postgres, "--datastore-cafile", "--k3s-server-arg --datastore-cafile conflicts with --datastore postgres*")]
    [InlineData(LabDatastore.Etcd, "--cluster-init", "--k3s-server-arg --cluster-init belongs to the embedded datastore*")]
    [InlineData(LabDatastore.Postgres, "--etcd-snapshot-schedule-cron", "--k3s-server-arg --etcd-snapshot-schedule-cron belongs to the embedded datastore*")]
    [InlineData(LabDatastore.Embedded, "--datastore-endpoint", "*use --datastore etcd or --datastore postgres*")]
    public void Conflict_FlagsTheLabSetsOrTheTopologyForbids_AreNamed(LabDatastore datastore, string flag, string message)
    {
        DatastoreArgs.Conflict(datastore, ["--disable", "traefik", flag]).Should().Match(message);
    }

    [Fact]
    public void Conflict_UnrelatedFlags_AreFine()
    {
        DatastoreArgs.Conflict(LabDatastore.Etcd, ["--disable-network-policy", "--kube-apiserver-arg=v=2"]).Should().BeNull();
        DatastoreArgs.Conflict(LabDatastore.Sqlite, ["--datastore-endpoint", "sqlite:///tmp/x.db"]).Should().BeNull("a single server may point at a store of one's own");
    }

    [Fact]
    public void ClusterSpec_ResolvesTheDatastore_AndRefusesWhatCannotWork()
    {
        Spec(1).ResolvedDatastore.Should().Be(LabDatastore.Sqlite);
        Spec(3).Embedded.Should().BeTrue();
        (Spec(2) with { Datastore = LabDatastore.Etcd }).Should().Match<ClusterSpec>(s => s.External && !s.Embedded && s.Problem() == null);
        (Spec(2) with { Datastore = LabDatastore.Sqlite }).Problem().Should().StartWith("--datastore sqlite serves one server only");
        (Spec(1) with { Datastore = LabDatastore.Etcd, EtcdMembers = 2 }).Problem().Should().Contain("odd number of members");
        (Spec(2) with { Datastore = LabDatastore.Postgres, ServerArgs = ["--server", "https://x:6443"] }).Problem().Should().Contain("--server belongs to the embedded datastore");
    }

    [Fact]
    public void ServerCommand_OnAnExternalDatastore_NoServerInitialisesOrJoins()
    {
        var spec = Spec(2) with { Datastore = LabDatastore.Etcd };
        var connection = new DatastoreConnection(Etcd.ServerArgs(), [], "3 etcd members");

        var first = ClusterCreator.ServerCommand(spec, IPAddress.Parse("172.28.0.10"), IPAddress.Parse("172.28.0.2"), "t", first: true, "https://172.28.0.2:6443", connection);
        var second = ClusterCreator.ServerCommand(spec, IPAddress.Parse("172.28.0.11"), IPAddress.Parse("172.28.0.2"), "t", first: false, "https://172.28.0.2:6443", connection);

        first.Should().NotContain("--cluster-init").And.Contain("--datastore-endpoint");
        second.Should().NotContain("--server").And.Contain(Etcd.Endpoints);
        ClusterCreator.ServerCommand(Spec(3), IPAddress.Parse("172.28.0.11"), IPAddress.Parse("172.28.0.2"), "t", first: false, "https://172.28.0.2:6443").Should().ContainInOrder("--server", "https://172.28.0.2:6443");
    }

    [Fact]
    public void NetworkPlan_DatastoreNodes_SitBetweenTheBalancerAndTheServers()
    {
        var plan = new NetworkPlan(IPNetwork.Parse("172.28.7.0/24"));

        plan.AddressOf(NodeRole.Etcd, 0).Should().Be(IPAddress.Parse("172.28.7.3"));
        plan.AddressOf(NodeRole.Etcd, 6).Should().Be(IPAddress.Parse("172.28.7.9"));
        plan.AddressOf(NodeRole.Postgres, 0).Should().Be(IPAddress.Parse("172.28.7.3"));
        var tooMany = () => plan.AddressOf(NodeRole.Etcd, 7);
        tooMany.Should().Throw<LabSetupException>();
        LabNaming.NodeName("c", NodeRole.Etcd, 2).Should().Be("k3slab-c-etcd-2");
        LabNaming.NodeName("c", NodeRole.Postgres, 0).Should().Be("k3slab-c-postgres-0");
        LabNaming.ParseRole("etcd").Should().Be(NodeRole.Etcd);
    }

    private static ClusterSpec Spec(int servers) => new("c", servers, 1, 0, TimeSpan.FromMinutes(3), KeepOnFailure: false);

    private static string Flag(IReadOnlyList<string> args, string flag) => args[args.ToList().IndexOf(flag) + 1];
}
