using System.Net;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Lab.Tests.Scenarios.Chaos;

/// <summary>The <c>join</c> and <c>change-ip</c> steps: their YAML, their validation, and how later steps name the nodes they add or move.</summary>
[Trait("Category", "Unit")]
public sealed class ScenarioJoinTests
{
    [Fact]
    public void Parse_JoinChangeIpAndInternalIp_BuildTheirSteps()
    {
        const string yaml = """
            name: j
            cluster: {servers: 1, agents: 1, datastore: embedded}
            steps:
              - join: {servers: 4}
              - join: {servers: 1, agents: 2}
              - join: {agents: 1}
              - change-ip: {node: agent-0, as: moved}
              - change-ip: server-1
              - expect: {internal-ip: moved, within: 60s}
            checks:
              - no-restarts: [server-1, server-2]
            """;

        var s = ScenarioParser.Parse(yaml, "j.yaml");

        s.Steps.Should().HaveCount(6);
        s.Steps[0].Should().Be(new JoinStep(4, 4, 0));
        s.Steps[1].Should().Be(new JoinStep(5, 1, 2));
        s.Steps[2].Should().Be(new JoinStep(6, 0, 1));
        s.Steps[3].Should().Be(new ChangeIpStep(7, "agent-0", "moved"));
        s.Steps[4].Should().Be(new ChangeIpStep(8, "server-1", null));
        ((ExpectStep)s.Steps[5]).Condition.Should().Be(new InternalIpIsCurrent("moved"));
        s.Steps[0].Describe().Should().Be("join: 4 server(s), 0 agent(s) at once");
        s.Steps[3].Describe().Should().Be("change-ip: agent-0 as moved");
    }

    [Theory]
    [InlineData("  - join: {servers: 0}", "j.yaml:4: join adds at least one node: give servers: N or agents: M of 1 or more")]
    [InlineData("  - join: {}", "j.yaml:4: join adds at least one node*")]
    [InlineData("  - join: {servers: 0, agents: 0}", "j.yaml:4: join adds at least one node*")]
    [InlineData("  - join: {servers: -1, agents: 2}", "j.yaml:4: join counts cannot be negative (servers: -1, agents: 2)")]
    [InlineData("  - join: {servers: two}", "j.yaml:4: 'servers' must be a whole number, not 'two'")]
    [InlineData("  - join: {servers: 2, voters: 2}", "j.yaml:4: unknown key 'voters' (allowed here: servers, agents)")]
    [InlineData("  - join: 4", "j.yaml:4: join takes {servers: N, agents: M}, e.g. '- join: {servers: 4}'")]
    [InlineData("  - join: {servers: 50}", "j.yaml:4: after this join the cluster would have 51 servers and 0 agents; the lab network has room for 50 servers and 150 agents")]
    [InlineData("  - expect: {internal-ip: [agent-0], within: 5s}", "j.yaml:4: 'internal-ip' must be a single value")]
    public void Parse_BadJoin_IsRefusedWithItsLine(string step, string message)
    {
        var parse = () => ScenarioParser.Parse($"name: j\ncluster: {{servers: 1, datastore: embedded}}\nsteps:\n{step}\n", "j.yaml");

        parse.Should().Throw<ScenarioFormatException>().WithMessage(message);
    }

    [Theory]
    [InlineData("cluster: {servers: 1}")]
    [InlineData("cluster: {servers: 1, datastore: sqlite}")]
    public void Parse_JoiningServersToOneServerOnSqlite_IsRefused_ButAgentsMayJoin(string cluster)
    {
        var servers = () => ScenarioParser.Parse($"name: j\n{cluster}\nsteps:\n  - join: {{servers: 2}}\n", "j.yaml");
        var agents = ScenarioParser.Parse($"name: j\n{cluster}\nsteps:\n  - join: {{agents: 2}}\n", "j.yaml");

        servers.Should().Throw<ScenarioFormatException>().WithMessage("j.yaml:4: join adds servers, and one server on SQLite cannot have more; start the cluster on the embedded store: cluster: {servers: 1, datastore: embedded}");
        agents.Steps.Single().Should().Be(new JoinStep(4, 0, 2));
    }

    [Fact]
    public void CheckReferences_NodesAJoinAdds_AreKnownAfterIt_NotBefore()
    {
        var nodes = new ChaosNodes(Cluster(servers: 1, agents: 1));
        var ok = ScenarioParser.Parse("name: j\ncluster: {servers: 1, agents: 1, datastore: embedded}\nsteps:\n  - join: {servers: 4, agents: 1}\n  - kill: server-4\n  - expect: {writes: ok, via: server-2, within: 5s}\n  - isolate: agent-1\nchecks:\n  - no-restarts: [server-0, server-1, server-4]\n", "j.yaml");
        var early = ScenarioParser.Parse("name: j\ncluster: {servers: 1, datastore: embedded}\nsteps:\n  - kill: server-1\n  - join: {servers: 1}\n", "j.yaml");
        var beyond = ScenarioParser.Parse("name: j\ncluster: {servers: 1, datastore: embedded}\nsteps:\n  - join: {servers: 2}\n  - kill: server-3\n", "j.yaml");
        var agentApi = ScenarioParser.Parse("name: j\ncluster: {servers: 1, datastore: embedded}\nsteps:\n  - join: {agents: 1}\n  - expect: {readyz: ok, node: agent-1, within: 5s}\n", "j.yaml");

        ScenarioRunner.CheckReferences(ok, nodes).Should().Equal(new Dictionary<string, NodeRole>
        {
            ["server-1"] = NodeRole.Server, ["server-2"] = NodeRole.Server, ["server-3"] = NodeRole.Server, ["server-4"] = NodeRole.Server, ["agent-1"] = NodeRole.Agent,
        });
        ((Action)(() => ScenarioRunner.CheckReferences(early, nodes))).Should().Throw<ScenarioFormatException>().WithMessage("j.yaml:4: no node 'server-1' in a cluster*");
        ((Action)(() => ScenarioRunner.CheckReferences(beyond, nodes))).Should().Throw<ScenarioFormatException>().WithMessage("j.yaml:5: no node 'server-3' *joined so far: server-1, server-2*");
        ((Action)(() => ScenarioRunner.CheckReferences(agentApi, nodes))).Should().Throw<ScenarioFormatException>().WithMessage("j.yaml:5: 'agent-1' serves no Kubernetes API*");
    }

    [Theory]
    [InlineData("lb")]
    [InlineData("etcd-0")]
    public void CheckReferences_ChangeIpOfANodeThatIsNoServerOrAgent_IsRefused(string target)
    {
        var nodes = new ChaosNodes(Cluster(servers: 2, agents: 1, etcd: 3));
        var scenario = ScenarioParser.Parse($"name: j\ncluster: {{servers: 2, agents: 1, datastore: etcd}}\nsteps:\n  - change-ip: {target}\n", "j.yaml");

        var check = () => ScenarioRunner.CheckReferences(scenario, nodes);

        check.Should().Throw<ScenarioFormatException>().WithMessage($"j.yaml:4: change-ip moves a server or an agent; '{target}' is neither");
    }

    [Fact]
    public void Track_AddsJoinedNodes_AndReplacesAMovedOne_ForEveryLaterLookup()
    {
        var nodes = new ChaosNodes(Cluster(servers: 1, agents: 1));

        nodes.Track(new LabNode("k3slab-c-server-1", "c", NodeRole.Server, 1, IPAddress.Parse("172.28.0.11"), "running"));
        nodes.Track(new LabNode("k3slab-c-agent-0", "c", NodeRole.Agent, 0, IPAddress.Parse("172.28.0.249"), "running"));

        nodes.Servers.Should().Equal("server-0", "server-1");
        nodes.Members.Should().Equal("server-0", "server-1");
        nodes.K3sNodes.Should().Equal("agent-0", "server-0", "server-1");
        nodes["agent-0"].Address.Should().Be(IPAddress.Parse("172.28.0.249"));
        nodes.NextIndex(NodeRole.Server).Should().Be(2);
        nodes.FromNodeName("k3slab-c-server-1").Should().Be("server-1");
        ((Action)(() => nodes.Track(new LabNode("k3slab-d-server-0", "d", NodeRole.Server, 0, IPAddress.Parse("172.28.1.10"), "running")))).Should().Throw<ChaosRunException>();
    }

    [Fact]
    public void Library_ConcurrentJoinsAndIpChange_AreListed()
    {
        var names = ScenarioLibrary.All().Select(s => s.Name).ToList();

        names.Should().Contain(["concurrent-server-joins", "agent-ip-change", "server-ip-change"]);
        ScenarioLibrary.Find("server-ip-change").Steps.OfType<ChangeIpStep>().Single().Target.Should().Be("server-2");
        var joins = ScenarioLibrary.Find("concurrent-server-joins");
        (joins.Servers, joins.Datastore).Should().Be((1, Lab.Datastores.LabDatastore.Embedded));
        joins.Steps.OfType<JoinStep>().Single().Servers.Should().Be(4);
        ScenarioRunner.CheckReferences(joins, new ChaosNodes(Cluster(servers: 1, agents: 0))).Keys.Should().Equal("server-1", "server-2", "server-3", "server-4");
    }

    private static LabCluster Cluster(int servers, int agents, int etcd = 0)
    {
        var nodes = new List<LabNode> { new("k3slab-c-lb", "c", NodeRole.LoadBalancer, 0, IPAddress.Parse("172.28.0.2"), "running") };
        nodes.AddRange(Enumerable.Range(0, servers).Select(i => new LabNode($"k3slab-c-server-{i}", "c", NodeRole.Server, i, IPAddress.Parse($"172.28.0.{10 + i}"), "running")));
        nodes.AddRange(Enumerable.Range(0, agents).Select(i => new LabNode($"k3slab-c-agent-{i}", "c", NodeRole.Agent, i, IPAddress.Parse($"172.28.0.{100 + i}"), "running")));
        nodes.AddRange(Enumerable.Range(0, etcd).Select(i => new LabNode($"k3slab-c-etcd-{i}", "c", NodeRole.Etcd, i, IPAddress.Parse($"172.28.0.{3 + i}"), "running")));
        return new LabCluster("c", new Uri("https://127.0.0.1:6443"), "/nonexistent", "", nodes, TimeSpan.Zero);
    }

    [Fact]
    public async Task Session_RepeatingAJoinOnAnExistingCluster_IsRefusedBeforeAnythingRuns()
    {
        var scenario = ScenarioLibrary.Find("concurrent-server-joins");

        var repeat = () => new ChaosSession(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            .RunAsync(scenario, new ChaosSessionOptions(2, 1, Path.Combine(Path.GetTempPath(), "k3slab-unused"), "dev"), TestContext.Current.CancellationToken);

        (await repeat.Should().ThrowAsync<ChaosRunException>()).Which.Message.Should().Contain("adds nodes").And.Contain("without --cluster");
    }
}
