using System.Net;
using K3sLab.Lab.Cluster;
using K3sLab.Lab.Datastores;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Lab.Tests.Scenarios.Chaos;

[Trait("Category", "Unit")]
public sealed class ScenarioParserTests
{
    private const string Minimal = """
        name: demo
        description: a demo
        cluster: {servers: 3, agents: 1}
        steps:
          - load: {clients: 2, keys: 4, via: each-server}
          - kill: {node: leader, as: victim}
          - expect: {leader: elected, not: victim, within: 15s}
          - isolate: server-1
          - partition: [[server-0], [server-1, server-2]]
          - drop: {from: server-0, to: server-1}
          - loss: {node: agent-0, probability: 0.3}
          - expect: {writes: refused, via: server-0, for: 500ms}
          - heal
          - start: victim
          - wait: 2m
          - stop-load
        checks:
          - linearizable
          - write-gap: {max: 10s}
          - nodes-stayed-ready: [agent-0]
        """;

    [Fact]
    public void Parse_EveryStepKind_BuildsTheSteps()
    {
        var s = ScenarioParser.Parse(Minimal, "demo.yaml");

        s.Name.Should().Be("demo");
        (s.Servers, s.Agents).Should().Be((3, 1));
        s.Steps.Should().HaveCount(12);
        s.Steps[0].Should().Be(new StartLoadStep(5, 2, 4, "each-server"));
        s.Steps[1].Should().Be(new NodeStep(6, NodeAction.Kill, "leader", "victim"));
        ((ExpectStep)s.Steps[2]).Condition.Should().BeOfType<LeaderElected>().Which.Not.Should().Equal("victim");
        ((PartitionStep)s.Steps[4]).Groups.Should().HaveCount(2);
        ((LossStep)s.Steps[6]).Probability.Should().Be(0.3);
        ((ExpectStep)s.Steps[7]).Within.Should().Be(TimeSpan.FromMilliseconds(500));
        ((WaitStep)s.Steps[10]).Duration.Should().Be(TimeSpan.FromMinutes(2));
        s.Checks.Select(c => c.Kind).Should().Equal(CheckKind.Linearizable, CheckKind.WriteGap, CheckKind.NodesStayedReady);
        s.Checks[1].Limit.Should().Be(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Parse_ReimageDeleteNodeLogAndWatchers_BuildTheirSteps()
    {
        const string yaml = """
            name: r
            cluster: {servers: 1, agents: 1}
            steps:
              - load: {clients: 1, keys: 2, watchers: 3, via: lb}
              - reimage: agent-0
              - expect: {log: "Node password rejected", node: agent-0, within: 60s}
              - delete-node: agent-0
            checks: [watch-guarantees]
            """;

        var s = ScenarioParser.Parse(yaml, "r.yaml");

        s.Steps[0].Should().Be(new StartLoadStep(4, 1, 2, "lb", 3));
        ((StartLoadStep)s.Steps[0]).ReadPercent.Should().Be(40, "the default mix is 20% appends, 40% reads, 40% compare-and-swaps");
        s.Steps[1].Should().Be(new NodeStep(5, NodeAction.Reimage, "agent-0", null));
        ((ExpectStep)s.Steps[2]).Condition.Should().Be(new LogContains("agent-0", "Node password rejected"));
        s.Steps[3].Should().Be(new DeleteNodeStep(7, "agent-0"));
        s.Checks.Single().Kind.Should().Be(CheckKind.WatchGuarantees);
    }

    [Theory]
    [InlineData("10%", 10)]
    [InlineData("0", 0)]
    [InlineData("80%", 80)]
    public void Parse_LoadReads_SetsTheReadShare(string reads, int percent)
    {
        var yaml = $"name: w\ncluster: {{servers: 3}}\nsteps:\n  - load: {{clients: 6, via: each-server, reads: {reads}}}\n";

        var step = (StartLoadStep)ScenarioParser.Parse(yaml, "w.yaml").Steps[0];

        step.ReadPercent.Should().Be(percent);
        step.Describe().Should().Contain($"{percent}% reads");
    }

    [Theory]
    [InlineData("  - explode: server-0", "demo.yaml:5: unknown step 'explode' (known steps: load, store-load, stop-load, wait")]
    [InlineData("  - wait: soon", "demo.yaml:5: 'soon' is not a duration such as 500ms, 5s or 2m")]
    [InlineData("  - kill: {node: server-0, how: hard}", "demo.yaml:5: unknown key 'how' (allowed here: node, as)")]
    [InlineData("  - expect: {writes: ok}", "demo.yaml:5: expect needs 'within'")]
    [InlineData("  - loss: {node: server-0, probability: 2}", "demo.yaml:5: loss needs a probability above 0 and at most 1")]
    [InlineData("  - partition: [[server-0]]", "demo.yaml:5: partition takes two or more groups")]
    [InlineData("  - ring: [server-0, server-1, server-2]", "demo.yaml:5: ring takes 4 or more nodes in ring order")]
    [InlineData("  - load: {reads: 90%}", "demo.yaml:5: load takes 1-64 clients, 1-1000 keys, 0-64 watchers and reads of 0%-80%")]
    [InlineData("  - load: {reads: most}", "demo.yaml:5: 'reads' must be a percentage such as 10%, not 'most'")]
    public void Parse_BadStep_NamesTheLineAndTheProblem(string step, string message)
    {
        var yaml = $"name: demo\ndescription: d\ncluster: {{servers: 3}}\nsteps:\n{step}\n";

        var parse = () => ScenarioParser.Parse(yaml, "demo.yaml");

        parse.Should().Throw<ScenarioFormatException>().Which.Message.Should().StartWith(message);
    }

    [Fact]
    public void Parse_StoreLoad_BuildsTheStep_AndRefusesTheBalancer()
    {
        var yaml = "name: s\ncluster: {servers: 3}\nsteps:\n  - store-load: {clients: 4, keys: 6, watchers: 2, via: server-1}\n";

        var step = (StartStoreLoadStep)ScenarioParser.Parse(yaml, "s.yaml").Steps[0];
        var viaLb = () => ScenarioParser.Parse(yaml.Replace("server-1", "lb", StringComparison.Ordinal), "s.yaml");

        step.Should().Be(new StartStoreLoadStep(4, 4, 6, "server-1", 2));
        viaLb.Should().Throw<ScenarioFormatException>().WithMessage("s.yaml:4: store-load goes to the servers' datastore members (port 2379), not through the load balancer*");
    }

    [Fact]
    public void TopologyCheck_StoreLoadOnPostgres_IsRefusedWithItsLine()
    {
        var yaml = "name: s\ncluster: {servers: 2, datastore: postgres}\nsteps:\n  - store-load: {clients: 1}\n";

        var check = () => TopologyRules.Check(ScenarioParser.Parse(yaml, "s.yaml"));

        check.Should().Throw<ScenarioFormatException>().WithMessage("s.yaml:4: store-load talks to the embedded datastore's members*");
    }

    [Fact]
    public void Parse_SplitDatastore_IsReplicated_AndRefusesStoreLoad()
    {
        var split = ScenarioParser.Parse("name: s\ncluster: {servers: 2, agents: 1, datastore: split}\nsteps:\n  - kill: leader\nchecks: [one-leader-per-term]\n", "s.yaml");
        var store = () => ScenarioParser.Parse("name: s\ncluster: {servers: 2, datastore: split}\nsteps:\n  - store-load: {clients: 1}\n", "s.yaml");

        split.Datastore.Should().Be(LabDatastore.Split);
        split.Replicated.Should().BeTrue();
        FluentActions.Invoking(() => TopologyRules.Check(split)).Should().NotThrow();
        store.Should().Throw<ScenarioFormatException>().WithMessage("s.yaml:4: store-load talks to the embedded datastore's members on the servers, and a split cluster*");
    }

    [Fact]
    public void Parse_Ring_KeepsTheOrder()
    {
        var yaml = "name: r\ncluster: {servers: 5}\nsteps:\n  - ring: [server-2, server-0, leader, server-4, server-3]\n";

        var ring = (RingStep)ScenarioParser.Parse(yaml, "r.yaml").Steps[0];

        ring.Nodes.Should().Equal("server-2", "server-0", "leader", "server-4", "server-3");
        ring.Describe().Should().Be("ring: server-2 - server-0 - leader - server-4 - server-3");
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(5, 1)]
    [InlineData(6, 2)]
    [InlineData(7, 2)]
    [InlineData(9, 2)]
    public void Ring_EveryNodeSeesAMajority_AndNoTwoTheSameOne(int count, int reach)
    {
        RingStep.Reach(count).Should().Be(reach);
        var seen = Enumerable.Range(0, count)
            .Select(i => Enumerable.Range(0, count).Where(j => RingStep.Linked(i, j, count)).ToHashSet())
            .ToList();

        seen.Should().OnlyContain(s => s.Count > count / 2, "each node, itself included, sees a majority");
        seen.Select(s => string.Join(",", s.Order())).Should().OnlyHaveUniqueItems("no two nodes see the same majority");
        Enumerable.Range(0, count).Should().OnlyContain(i => Enumerable.Range(0, count).All(j => RingStep.Linked(i, j, count) == RingStep.Linked(j, i, count)), "the cuts are symmetric");
    }

    [Fact]
    public void Parse_UnknownCheckOrTopLevelKey_IsRefused()
    {
        var check = () => ScenarioParser.Parse("name: d\ncluster: {servers: 1}\nsteps: [heal]\nchecks: [fast]\n", "x.yaml");
        check.Should().Throw<ScenarioFormatException>().WithMessage("x.yaml:4: unknown check 'fast' (known checks: linearizable, *");

        var key = () => ScenarioParser.Parse("name: d\ncluster: {servers: 1}\nsteps: [heal]\nrepeat: 3\n", "x.yaml");
        key.Should().Throw<ScenarioFormatException>().WithMessage("x.yaml:4: unknown key 'repeat'*");
    }

    [Fact]
    public void Library_EveryScenarioParses_AndNamesAreUnique()
    {
        var all = ScenarioLibrary.All();

        all.Select(s => s.Name).Should().OnlyHaveUniqueItems().And.Contain(["leader-power-loss", "minority-partition", "majority-loss", "agent-server-death", "rolling-restart"]);
        all.Should().OnlyContain(s => s.Steps.Count > 0 && s.Checks.Count > 0 && s.Description.Length > 0);
    }

    [Fact]
    public void Find_UnknownName_ListsTheLibrary()
    {
        var find = () => ScenarioLibrary.Find("no-such-scenario");

        find.Should().Throw<ScenarioFormatException>().WithMessage("'no-such-scenario' is neither a library scenario (*leader-power-loss*) nor a scenario file");
    }

    [Fact]
    public void CheckReferences_NodeMissingFromTheCluster_IsRefusedBeforeAnythingRuns()
    {
        var nodes = new ChaosNodes(Cluster(servers: 3, agents: 0));
        var scenario = ScenarioParser.Parse("name: d\ncluster: {servers: 3}\nsteps:\n  - kill: agent-0\n", "d.yaml");

        var check = () => ScenarioRunner.CheckReferences(scenario, nodes);

        check.Should().Throw<ScenarioFormatException>().WithMessage("d.yaml:4: no node 'agent-0' in a cluster of 3 servers and 0 agents (nodes: lb, server-0, server-1, server-2;*");
    }

    [Fact]
    public void CheckReferences_BoundNames_AreKnownOnlyAfterTheStepThatBindsThem()
    {
        var nodes = new ChaosNodes(Cluster(servers: 3, agents: 1));
        var ok = ScenarioParser.Parse("name: d\ncluster: {servers: 3}\nsteps:\n  - kill: {node: leader, as: v}\n  - start: v\n", "d.yaml");
        var early = ScenarioParser.Parse("name: d\ncluster: {servers: 3}\nsteps:\n  - start: v\n  - kill: {node: leader, as: v}\n", "d.yaml");

        ScenarioRunner.CheckReferences(ok, nodes);
        var check = () => ScenarioRunner.CheckReferences(early, nodes);

        check.Should().Throw<ScenarioFormatException>().WithMessage("d.yaml:4: no node 'v'*");
    }

    [Fact]
    public void Parse_Datastore_IsReadFromTheClusterLine()
    {
        var etcd = ScenarioParser.Parse("name: d\ncluster: {servers: 2, agents: 1, datastore: etcd}\nsteps:\n  - kill: leader\nchecks: [converged, one-leader-per-term]\n", "d.yaml");

        etcd.Datastore.Should().Be(LabDatastore.Etcd);
        etcd.Replicated.Should().BeTrue("etcd members have terms, leaders and hashes to compare");
        ScenarioParser.Parse("name: d\ncluster: {servers: 3}\nsteps: [heal]\n", "d.yaml").Replicated.Should().BeTrue();
        ScenarioParser.Parse("name: d\ncluster: {servers: 1}\nsteps: [heal]\n", "d.yaml").Replicated.Should().BeFalse();
    }

    [Fact]
    public void Parse_Disk_IsLossyOnlyWhenAskedFor()
    {
        ScenarioParser.Parse("name: d\ncluster: {servers: 3, disk: lossy}\nsteps: [heal]\n", "d.yaml").LossyDisks.Should().BeTrue();
        ScenarioParser.Parse("name: d\ncluster: {servers: 3, disk: page-cache}\nsteps: [heal]\n", "d.yaml").LossyDisks.Should().BeFalse();
        ScenarioParser.Parse("name: d\ncluster: {servers: 3}\nsteps: [heal]\n", "d.yaml").LossyDisks.Should().BeFalse();
        ScenarioLibrary.Find("sqlite-power-loss-lossy-disk").LossyDisks.Should().BeTrue();
    }

    [Theory]
    [InlineData("cluster: {servers: 2, datastore: mysql}", "steps: [heal]", "d.yaml:2: datastore is one of sqlite, embedded, etcd, postgres, split; not 'mysql'")]
    [InlineData("cluster: {servers: 2, datastore: sqlite}", "steps: [heal]", "d.yaml:2: datastore: sqlite serves one server only*")]
    [InlineData("cluster: {servers: 2, disk: flaky}", "steps: [heal]", "d.yaml:2: disk is lossy (power loss drops unsynced writes) or page-cache (the default: they survive); not 'flaky'")]
    [InlineData("cluster: {servers: 2, datastore: etcd, disk: lossy}", "steps: [heal]", "d.yaml:2: disk: lossy applies to k3s nodes*")]
    [InlineData("cluster: {servers: 2, datastore: postgres}", "steps: [heal]\nchecks:\n  - linearizable\n  - converged", "d.yaml:6: the check 'converged' compares datastore members (embedded or etcd), and a cluster on PostgreSQL (datastore: postgres) has none*")]
    [InlineData("cluster: {servers: 2, datastore: postgres}", "steps: [heal]\nchecks: [one-leader-per-term]", "d.yaml:4: the check 'one-leader-per-term' compares datastore members*")]
    [InlineData("cluster: {servers: 2, datastore: postgres}", "steps:\n  - expect: {voters: 3, within: 5s}", "d.yaml:4: 'expect: 3 voters following the leader' needs datastore members*")]
    [InlineData("cluster: {servers: 2, datastore: postgres}", "steps:\n  - kill: follower", "d.yaml:4: 'follower' names a datastore member (embedded or etcd), and a cluster on PostgreSQL*")]
    [InlineData("cluster: {servers: 1}", "steps:\n  - expect: {leader: elected, within: 5s}", "d.yaml:4: 'expect: a leader' needs datastore members (embedded or etcd), and a single server on SQLite has none")]
    public void Parse_WhatTheDatastoreCannotGive_IsRefusedWithTheLine(string cluster, string rest, string message)
    {
        var parse = () => ScenarioParser.Parse($"name: d\n{cluster}\n{rest}\n", "d.yaml");

        parse.Should().Throw<ScenarioFormatException>().WithMessage(message);
    }

    [Fact]
    public void CheckReferences_EtcdCluster_KnowsTheMembers_AndRefusesApiRequestsToThem()
    {
        var nodes = new ChaosNodes(Cluster(servers: 2, agents: 1, etcd: 3));
        var ok = ScenarioParser.Parse("name: d\ncluster: {servers: 2, datastore: etcd}\nsteps:\n  - kill: {node: etcd-2, as: v}\n  - isolate: etcd-0\n  - start: v\n  - expect: {readyz: failing, node: server-1, within: 5s}\n", "d.yaml");
        var api = ScenarioParser.Parse("name: d\ncluster: {servers: 2, datastore: etcd}\nsteps:\n  - expect: {readyz: ok, node: etcd-1, within: 5s}\n", "d.yaml");
        var leader = ScenarioParser.Parse("name: d\ncluster: {servers: 2, datastore: etcd}\nsteps:\n  - expect: {writes: refused, via: leader, for: 5s}\n", "d.yaml");

        ScenarioRunner.CheckReferences(ok, nodes);
        nodes.Members.Should().Equal("etcd-0", "etcd-1", "etcd-2");
        nodes.K3sNodes.Should().Equal("agent-0", "server-0", "server-1");
        nodes.ExternalDatastore.Should().Be(LabDatastore.Etcd);
        ((Action)(() => ScenarioRunner.CheckReferences(api, nodes))).Should().Throw<ScenarioFormatException>().WithMessage("d.yaml:4: 'etcd-1' serves no Kubernetes API*");
        ((Action)(() => ScenarioRunner.CheckReferences(leader, nodes))).Should().Throw<ScenarioFormatException>().WithMessage("d.yaml:4: 'leader' serves no Kubernetes API*");
    }

    [Fact]
    public void CheckReferences_ReimagingAnEtcdMember_IsRefused()
    {
        var nodes = new ChaosNodes(Cluster(servers: 2, agents: 1, etcd: 3));
        var named = ScenarioParser.Parse("name: d\ncluster: {servers: 2, datastore: etcd}\nsteps:\n  - reimage: etcd-1\n", "d.yaml");
        var leader = ScenarioParser.Parse("name: d\ncluster: {servers: 2, datastore: etcd}\nsteps:\n  - reimage: leader\n", "d.yaml");
        var server = ScenarioParser.Parse("name: d\ncluster: {servers: 2, datastore: etcd}\nsteps:\n  - reimage: server-1\n", "d.yaml");

        ((Action)(() => ScenarioRunner.CheckReferences(named, nodes))).Should().Throw<ScenarioFormatException>().WithMessage("d.yaml:4: an etcd member cannot be re-imaged*");
        ((Action)(() => ScenarioRunner.CheckReferences(leader, nodes))).Should().Throw<ScenarioFormatException>().WithMessage("d.yaml:4: an etcd member cannot be re-imaged*");
        ScenarioRunner.CheckReferences(server, nodes);
    }

    [Fact]
    public void CheckReferences_ScenarioAndClusterDatastoresDiffer_IsRefused()
    {
        var etcd = ScenarioParser.Parse("name: d\ncluster: {servers: 2, datastore: etcd}\nsteps: [heal]\n", "d.yaml");
        var embedded = ScenarioParser.Parse("name: d\ncluster: {servers: 2}\nsteps: [heal]\n", "d.yaml");

        ((Action)(() => ScenarioRunner.CheckReferences(etcd, new ChaosNodes(Cluster(servers: 2, agents: 0)))))
            .Should().Throw<ScenarioFormatException>().WithMessage("d.yaml: the scenario asks for datastore etcd, and cluster 'c' runs none outside its servers");
        ((Action)(() => ScenarioRunner.CheckReferences(embedded, new ChaosNodes(Cluster(servers: 2, agents: 0, etcd: 3)))))
            .Should().Throw<ScenarioFormatException>().WithMessage("*asks for datastore embedded, and cluster 'c' runs etcd");
    }

    [Fact]
    public async Task Resolve_Follower_SkipsTheLeaderAndMembersThatAreDown()
    {
        var nodes = new ChaosNodes(Cluster(servers: 2, agents: 0, etcd: 3));
        var ct = TestContext.Current.CancellationToken;

        (await nodes.ResolveAsync("follower", _ => Task.FromResult<string?>("etcd-1"), ct, new HashSet<string> { "etcd-0" })).Should().Be("etcd-2");
        (await nodes.ResolveAsync("leader", _ => Task.FromResult<string?>("etcd-1"), ct)).Should().Be("etcd-1");
        var none = () => nodes.ResolveAsync("follower", _ => Task.FromResult<string?>("etcd-1"), ct, new HashSet<string> { "etcd-0", "etcd-2" });
        await none.Should().ThrowAsync<ChaosRunException>().WithMessage("'follower': every member other than the leader etcd-1 is down");
    }

    [Fact]
    public void Library_DatastoreScenarios_AskForTheirTopology()
    {
        var etcd = ScenarioLibrary.Find("etcd-member-loss");
        var postgres = ScenarioLibrary.Find("postgres-restart");

        (etcd.Servers, etcd.Agents, etcd.Datastore).Should().Be((2, 1, LabDatastore.Etcd));
        etcd.Checks.Select(c => c.Kind).Should().Contain([CheckKind.Linearizable, CheckKind.NoLostWrites, CheckKind.WatchGuarantees, CheckKind.Converged, CheckKind.NoRestarts]);
        postgres.Datastore.Should().Be(LabDatastore.Postgres);
        postgres.Checks.Single(c => c.Kind == CheckKind.NoRestarts).Nodes.Should().Equal("server-0", "server-1");
        ScenarioRunner.CheckReferences(etcd, new ChaosNodes(Cluster(servers: 2, agents: 1, etcd: 3)));
        ScenarioRunner.CheckReferences(postgres, new ChaosNodes(Cluster(servers: 2, agents: 1, postgres: true)));
    }

    private static LabCluster Cluster(int servers, int agents, int etcd = 0, bool postgres = false)
    {
        var nodes = new List<LabNode> { new("k3slab-c-lb", "c", NodeRole.LoadBalancer, 0, IPAddress.Parse("172.28.0.2"), "running") };
        nodes.AddRange(Enumerable.Range(0, servers).Select(i => new LabNode($"k3slab-c-server-{i}", "c", NodeRole.Server, i, IPAddress.Parse($"172.28.0.{10 + i}"), "running")));
        nodes.AddRange(Enumerable.Range(0, agents).Select(i => new LabNode($"k3slab-c-agent-{i}", "c", NodeRole.Agent, i, IPAddress.Parse($"172.28.0.{100 + i}"), "running")));
        nodes.AddRange(Enumerable.Range(0, etcd).Select(i => new LabNode($"k3slab-c-etcd-{i}", "c", NodeRole.Etcd, i, IPAddress.Parse($"172.28.0.{3 + i}"), "running")));
        if (postgres)
        {
            nodes.Add(new LabNode("k3slab-c-postgres-0", "c", NodeRole.Postgres, 0, IPAddress.Parse("172.28.0.3"), "running"));
        }

        return new LabCluster("c", new Uri("https://127.0.0.1:6443"), "/nonexistent", "", nodes, TimeSpan.Zero);
    }
}
