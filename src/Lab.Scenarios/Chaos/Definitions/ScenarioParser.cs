using System.Globalization;
using K3sLab.Lab.Datastores;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace K3sLab.Scenarios.Chaos.Definitions;

/// <summary>
/// Reads a scenario from YAML. Every step is a one-key mapping, e.g. <c>- kill: {node: leader, as: victim}</c>,
/// <c>- wait: 5s</c>, <c>- expect: {writes: ok, via: lb, within: 10s}</c>; see <c>docs/chaos.md</c> for the
/// whole vocabulary. Anything unknown (a step, a key, a check) is refused with its line, never ignored.
/// </summary>
public static partial class ScenarioParser
{
    private static readonly string[] StepNames =
        ["load", "store-load", "stop-load", "wait", "isolate", "partition", "ring", "drop", "loss", "heal", "expect", "delete-node", "join", "change-ip", "service-probe", .. NodeActions.ByName.Keys];

    public static ScenarioDefinition Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ScenarioFormatException($"{source}:{e.Start.Line}: not valid YAML: {e.Message}");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ScenarioFormatException($"{source}: a scenario file holds one YAML mapping (name, description, cluster, steps, checks)");
        }

        var reader = new Reader(source);
        reader.OnlyKeys(root, "name", "description", "references", "cluster", "steps", "checks");
        var name = reader.Scalar(root, "name") ?? throw reader.Error(root, "the scenario has no name");
        var cluster = reader.Child(root, "cluster") as YamlMappingNode ?? throw reader.Error(root, "the scenario has no cluster: {servers: N, agents: M}");
        reader.OnlyKeys(cluster, "servers", "agents", "datastore", "disk");
        var servers = reader.Int(cluster, "servers") ?? 1;
        var agents = reader.Int(cluster, "agents") ?? 0;
        if (servers < 1 || agents < 0)
        {
            throw reader.Error(cluster, "a cluster has at least one server and no negative number of agents");
        }

        var datastoreWord = reader.Scalar(cluster, "datastore");
        var datastore = datastoreWord is null ? LabDatastore.Auto
            : LabDatastores.Parse(datastoreWord) is { } named and not LabDatastore.Auto ? named
            : datastoreWord == "split" ? LabDatastore.Split
            : throw reader.Error(cluster, $"datastore is one of sqlite, embedded, etcd, postgres, split; not '{datastoreWord}'");
        if (datastore == LabDatastore.Sqlite && servers > 1)
        {
            throw reader.Error(cluster, "datastore: sqlite serves one server only; more servers share the embedded store, etcd or postgres");
        }

        var diskWord = reader.Scalar(cluster, "disk");
        var lossyDisks = diskWord switch
        {
            null or "page-cache" => false,
            "lossy" => true,
            _ => throw reader.Error(cluster, $"disk is lossy (power loss drops unsynced writes) or page-cache (the default: they survive); not '{diskWord}'"),
        };
        if (lossyDisks && datastore is LabDatastore.Etcd or LabDatastore.Postgres)
        {
            throw reader.Error(cluster, "disk: lossy applies to k3s nodes; the etcd and postgres datastore nodes keep their data in their containers");
        }

        var steps = (reader.Child(root, "steps") as YamlSequenceNode ?? throw reader.Error(root, "the scenario has no steps list")).Select(reader.Step).ToList();
        var checks = reader.Child(root, "checks") is YamlSequenceNode checkNodes ? checkNodes.Select(reader.Check).ToList() : [];
        var definition = new ScenarioDefinition(name, reader.Scalar(root, "description") ?? "", servers, agents, steps, checks)
        {
            References = reader.Child(root, "references") is YamlSequenceNode refs ? [.. refs.Select(reader.Text)] : [],
            Source = source,
            Datastore = datastore,
            LossyDisks = lossyDisks,
        };
        TopologyRules.Check(definition);
        CheckJoins(definition);
        return definition;
    }

    /// <summary>Parses <c>500ms</c>, <c>5s</c>, <c>2m</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : text.EndsWith('m') ? (text[..^1], 60_000.0)
            : (text, double.NaN);
        if (double.IsNaN(unit) || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(value * unit);
        return true;
    }

    private sealed partial class Reader(string source)
    {
        public ScenarioFormatException Error(YamlNode node, string message) => new($"{source}:{node.Start.Line}: {message}");

        public YamlNode? Child(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        public string? Scalar(YamlMappingNode map, string key) => Child(map, key) switch
        {
            null => null,
            YamlScalarNode s => s.Value,
            var other => throw Error(other, $"'{key}' must be a single value"),
        };

        public string Text(YamlNode node) => node is YamlScalarNode { Value: { } v } ? v : throw Error(node, "expected a single value here");

        public int? Int(YamlMappingNode map, string key) => Scalar(map, key) is not { } text ? null
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
            : throw Error(Child(map, key)!, $"'{key}' must be a whole number, not '{text}'");

        /// <summary>A percentage written as <c>10%</c> or <c>10</c>.</summary>
        public int? Percent(YamlMappingNode map, string key) => Scalar(map, key) is not { } text ? null
            : int.TryParse(text.TrimEnd('%'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
            : throw Error(Child(map, key)!, $"'{key}' must be a percentage such as 10%, not '{text}'");

        public TimeSpan Duration(YamlNode node)
        {
            var text = Text(node);
            return TryParseDuration(text, out var d) ? d : throw Error(node, $"'{text}' is not a duration such as 500ms, 5s or 2m");
        }

        public TimeSpan? Duration(YamlMappingNode map, string key) => Child(map, key) is { } node ? Duration(node) : null;

        public void OnlyKeys(YamlMappingNode map, params string[] allowed)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = Text(key);
                if (!allowed.Contains(name, StringComparer.Ordinal))
                {
                    throw Error(key, $"unknown key '{name}' (allowed here: {string.Join(", ", allowed)})");
                }
            }
        }

        public IReadOnlyList<string> Names(YamlNode node) => node switch
        {
            YamlScalarNode s => [Text(s)],
            YamlSequenceNode seq => [.. seq.Select(Text)],
            _ => throw Error(node, "expected a node name or a list of node names"),
        };

        public ScenarioStep Step(YamlNode node)
        {
            var line = (int)node.Start.Line;
            var (kind, value) = node switch
            {
                YamlScalarNode { Value: "heal" or "stop-load" } s => (s.Value!, (YamlNode?)null),
                YamlMappingNode { Children.Count: 1 } m => (Text(m.Children.Keys.First()), m.Children.Values.First()),
                _ => throw Error(node, "a step is a one-key mapping such as '- kill: leader' or '- wait: 5s'"),
            };
            return kind switch
            {
                "load" => Load(line, value),
                "store-load" => StoreLoad(line, value),
                "stop-load" => new StopLoadStep(line),
                "service-probe" => ServiceProbe(line, value ?? node),
                "heal" => new HealStep(line),
                "wait" => new WaitStep(line, Duration(value ?? node)),
                "isolate" => Targeted(value!, (target, bind) => new IsolateStep(line, target, bind)),
                "partition" => new PartitionStep(line, value is YamlSequenceNode groups && groups.Children.Count >= 2
                    ? [.. groups.Select(Names)]
                    : throw Error(node, "partition takes two or more groups: [[server-0], [server-1, server-2]]")),
                "ring" => new RingStep(line, value is YamlSequenceNode ring && ring.Children.Count >= RingStep.MinimumNodes
                    ? Names(value)
                    : throw Error(node, $"ring takes {RingStep.MinimumNodes} or more nodes in ring order: [server-0, server-1, server-2, server-3, server-4]")),
                "drop" => Drop(line, value!),
                "delete-node" => new DeleteNodeStep(line, Text(value ?? node)),
                "loss" => Loss(line, value!),
                "join" => Join(line, value ?? node),
                "change-ip" => Targeted(value ?? node, (target, bind) => new ChangeIpStep(line, target, bind)),
                "expect" => Expect(line, value as YamlMappingNode ?? throw Error(node, "expect takes a mapping, e.g. {writes: ok, within: 10s}")),
                _ when NodeActions.ByName.TryGetValue(kind, out var action) => Targeted(value!, (target, bind) => new NodeStep(line, action, target, bind)),
                _ => throw Error(node, $"unknown step '{kind}' (known steps: {string.Join(", ", StepNames)})"),
            };
        }

        public CheckSpec Check(YamlNode node)
        {
            var (name, value) = node switch
            {
                YamlScalarNode s => (Text(s), (YamlNode?)null),
                YamlMappingNode { Children.Count: 1 } m => (Text(m.Children.Keys.First()), m.Children.Values.First()),
                _ => throw Error(node, "a check is a name, or a one-key mapping such as '- write-gap: {max: 10s}'"),
            };
            if (!CheckSpec.Names.TryGetValue(name, out var kind))
            {
                throw Error(node, $"unknown check '{name}' (known checks: {string.Join(", ", CheckSpec.Names.Keys)})");
            }

            var line = (int)node.Start.Line;
            return kind switch
            {
                CheckKind.NodesStayedReady => new CheckSpec(kind, value is null ? throw Error(node, "nodes-stayed-ready names the nodes: '- nodes-stayed-ready: [agent-0]'") : Names(value), null) { Line = line },
                CheckKind.NoRestarts => new CheckSpec(kind, value is null ? throw Error(node, "no-restarts names the nodes: '- no-restarts: [server-0, server-1]'") : Names(value), null) { Line = line },
                CheckKind.WriteGap => value is YamlMappingNode m && Duration(m, "max") is { } max
                    ? new CheckSpec(kind, [], max) { Line = line }
                    : throw Error(node, "write-gap takes a bound: '- write-gap: {max: 10s}'"),
                CheckKind.AgentFailover => value is YamlMappingNode f && Duration(f, "max") is { } bound
                    ? new CheckSpec(kind, [], bound) { Line = line }
                    : throw Error(node, "agent-failover takes a bound: '- agent-failover: {max: 1s}'"),
                CheckKind.ServiceOutage => value is YamlMappingNode o && Duration(o, "max") is { } outage
                    ? new CheckSpec(kind, [], outage) { Line = line }
                    : throw Error(node, "service-outage takes a bound: '- service-outage: {max: 30s}'"),
                _ => value is null ? new CheckSpec(kind, [], null) { Line = line } : throw Error(value, $"the check '{name}' takes no parameters"),
            };
        }

        private ScenarioStep Targeted(YamlNode value, Func<string, string?, ScenarioStep> make)
        {
            if (value is YamlMappingNode m)
            {
                OnlyKeys(m, "node", "as");
                return make(Scalar(m, "node") ?? throw Error(m, "which node? give 'node:'"), Scalar(m, "as"));
            }

            return make(Text(value), null);
        }

        private ServiceProbeStep ServiceProbe(int line, YamlNode value)
        {
            if (value is YamlMappingNode m)
            {
                OnlyKeys(m, "from");
                return new ServiceProbeStep(line, Scalar(m, "from") ?? throw Error(m, "which node's pod makes the calls? give 'from:', e.g. {from: agent-0}"));
            }

            return new ServiceProbeStep(line, Text(value));
        }

        private StartLoadStep Load(int line, YamlNode? value)
        {
            if (value is not YamlMappingNode m)
            {
                return new StartLoadStep(line, 3, 8, "lb");
            }

            OnlyKeys(m, "clients", "keys", "via", "watchers", "reads");
            var step = new StartLoadStep(line, Int(m, "clients") ?? 3, Int(m, "keys") ?? 8, Scalar(m, "via") ?? "lb", Int(m, "watchers") ?? 0)
            {
                ReadPercent = Percent(m, "reads") ?? StartLoadStep.DefaultReadPercent,
            };
            return step.Clients is >= 1 and <= 64 && step.Keys is >= 1 and <= 1000 && step.Watchers is >= 0 and <= 64 && step.ReadPercent is >= 0 and <= 80
                ? step
                : throw Error(m, "load takes 1-64 clients, 1-1000 keys, 0-64 watchers and reads of 0%-80% (ledger appends are always 20%)");
        }

        private StartStoreLoadStep StoreLoad(int line, YamlNode? value)
        {
            if (value is not YamlMappingNode m)
            {
                return new StartStoreLoadStep(line, 3, 8, "each-server");
            }

            OnlyKeys(m, "clients", "keys", "via", "watchers");
            var step = new StartStoreLoadStep(line, Int(m, "clients") ?? 3, Int(m, "keys") ?? 8, Scalar(m, "via") ?? "each-server", Int(m, "watchers") ?? 0);
            if (step.Via == "lb")
            {
                throw Error(m, "store-load goes to the servers' datastore members (port 2379), not through the load balancer: give 'via: each-server' or a server");
            }

            return step.Clients is >= 1 and <= 64 && step.Keys is >= 1 and <= 1000 && step.Watchers is >= 0 and <= 64
                ? step
                : throw Error(m, "store-load takes 1-64 clients, 1-1000 keys and 0-64 watchers");
        }

        private OneWayStep Drop(int line, YamlNode value)
        {
            var m = value as YamlMappingNode ?? throw Error(value, "drop takes {from: <node>, to: <node>}");
            OnlyKeys(m, "from", "to");
            return new OneWayStep(line, Scalar(m, "from") ?? throw Error(m, "drop needs 'from'"), Scalar(m, "to") ?? throw Error(m, "drop needs 'to'"));
        }

        private LossStep Loss(int line, YamlNode value)
        {
            var m = value as YamlMappingNode ?? throw Error(value, "loss takes {node: <node>, probability: 0.3}");
            OnlyKeys(m, "node", "probability");
            var p = Scalar(m, "probability") is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is > 0 and <= 1
                ? v
                : throw Error(m, "loss needs a probability above 0 and at most 1");
            return new LossStep(line, Scalar(m, "node") ?? throw Error(m, "loss needs 'node'"), p);
        }

        private ExpectStep Expect(int line, YamlMappingNode m)
        {
            OnlyKeys(m, "writes", "via", "readyz", "node", "nodes-ready", "voters", "leader", "not", "within", "for", "log", "internal-ip");
            var within = Duration(m, "within") ?? Duration(m, "for") ?? throw Error(m, "expect needs 'within' (or 'for' with writes: refused)");
            if (Scalar(m, "log") is { } text)
            {
                return new ExpectStep(line, new LogContains(Scalar(m, "node") ?? throw Error(m, "log needs 'node'"), text), within);
            }

            if (Scalar(m, "internal-ip") is { } moved)
            {
                return new ExpectStep(line, new InternalIpIsCurrent(moved), within);
            }

            Expectation condition = (Scalar(m, "writes"), Scalar(m, "readyz"), Child(m, "nodes-ready"), Scalar(m, "voters"), Scalar(m, "leader")) switch
            {
                ("ok", null, null, null, null) => new WritesSucceed(Scalar(m, "via") ?? "lb"),
                ("refused", null, null, null, null) => new WritesRefused(Scalar(m, "via") ?? throw Error(m, "writes: refused needs 'via: <node>'")),
                (null, "ok" or "failing", null, null, null) => new ReadyzIs(Scalar(m, "node") ?? throw Error(m, "readyz needs 'node'"), Scalar(m, "readyz") == "ok"),
                (null, null, { } nodes, null, null) => new NodesReady(nodes is YamlScalarNode { Value: "all" } ? [] : Names(nodes)),
                (null, null, null, { } voters, null) => new VotersAre(Int(m, "voters")!.Value),
                (null, null, null, null, "elected") => new LeaderElected(Child(m, "not") is { } not ? Names(not) : []),
                _ => throw Error(m, "expect takes exactly one of: writes: ok|refused, readyz: ok|failing, nodes-ready: all|[nodes], voters: N, leader: elected, log: <text>, internal-ip: <node>"),
            };
            return new ExpectStep(line, condition, within);
        }
    }
}
