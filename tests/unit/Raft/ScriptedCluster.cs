using System.Globalization;
using System.Text;

namespace K3sLab.Raft.Tests;

/// <summary>
/// Interprets golden scripts against in-memory members with instant, lossless delivery except across cut links.
/// Each command's output is appended to the transcript as indented lines; every command delivers until quiet.
/// Commands:
/// "cluster N [prevote=false] [checkquorum=false] [keep=K]" (members 1..N), "join ID" (a member with no membership),
/// "tick N" (ticks every member N times, delivering after each), "propose ID TEXT", "compact ID",
/// "add-learner ID TARGET", "add-voter ID TARGET", "promote ID TARGET", "remove ID TARGET" (proposed on ID),
/// "transfer ID TARGET", "read-index ID CONTEXT", "peer-down ID MEMBER" (ID's transport saw MEMBER's process die), "isolate ID", "partition 1,2 3,4,5", "heal", "restart ID",
/// "status", "members", "progress ID".
/// </summary>
internal sealed class ScriptedCluster
{
    private readonly SortedDictionary<ulong, ScriptedMember> _members = [];
    private readonly HashSet<(ulong, ulong)> _cut = [];
    private readonly StringBuilder _out = new();
    private RaftConfig _config = new();

    public static string Run(string script)
    {
        var cluster = new ScriptedCluster();
        foreach (var raw in script.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || raw.StartsWith("  ", StringComparison.Ordinal))
            {
                // Indented lines are the previous run's output; they are regenerated.
                continue;
            }
            cluster._out.AppendLine(line);
            if (line.StartsWith('#'))
            {
                continue;
            }
            cluster.Execute(line.Split(' '));
            cluster.Deliver();
        }
        return cluster._out.ToString();
    }

    private static ulong Id(string s) => ulong.Parse(s, CultureInfo.InvariantCulture);

    private RaftNode Node(string s) => _members[Id(s)].Node;

    private void Execute(string[] args)
    {
        switch (args[0])
        {
            case "cluster":
                _config = Configure(args.Skip(2));
                var ids = Enumerable.Range(1, int.Parse(args[1], CultureInfo.InvariantCulture)).Select(i => (ulong)i).ToArray();
                foreach (var id in ids)
                {
                    _members[id] = new ScriptedMember(id, new ConfState(ids, []), _config, _out);
                }
                break;
            case "join":
                _members[Id(args[1])] = new ScriptedMember(Id(args[1]), ConfState.Empty, _config, _out);
                break;
            case "tick":
                for (var i = 0; i < int.Parse(args[1], CultureInfo.InvariantCulture); i++)
                {
                    foreach (var m in _members.Values)
                    {
                        m.Node.Tick();
                    }
                    Deliver();
                }
                break;
            case "propose":
                var node = Node(args[1]);
                var result = node.Propose(Encoding.UTF8.GetBytes(args[2]));
                var why = node.Role == RaftRole.Leader ? $"transferring to {node.LeadTransferee}" : "not leader";
                _out.AppendLine(result is { } r ? $"  accepted {r.Index}@t{r.Term}" : $"  dropped: {why}");
                break;
            case "compact":
                _out.AppendLine($"  snapshot {_members[Id(args[1])].Compact()}, log starts at {Node(args[1]).GetStatus().FirstIndex}");
                break;
            case "add-learner" or "add-voter" or "promote" or "remove":
                var type = args[0] switch
                {
                    "add-learner" => ConfChangeType.AddLearner,
                    "add-voter" => ConfChangeType.AddVoter,
                    "promote" => ConfChangeType.PromoteLearner,
                    _ => ConfChangeType.RemoveNode,
                };
                var proposal = Node(args[1]).ProposeConfChange(new ConfChange(type, Id(args[2]), []));
                _out.AppendLine(proposal.Accepted ? $"  accepted {proposal.Index}@t{proposal.Term}" : $"  refused: {proposal.Refusal}");
                break;
            case "transfer":
                _out.AppendLine(Node(args[1]).TransferLeadership(Id(args[2])) ? "  transferring" : "  refused");
                break;
            case "read-index":
                Node(args[1]).ReadIndex(Encoding.UTF8.GetBytes(args[2]));
                break;
            case "peer-down":
                Node(args[1]).ReportPeerDown(Id(args[2]));
                break;
            case "isolate":
                Cut([Id(args[1])], _members.Keys.Where(k => k != Id(args[1])));
                break;
            case "partition":
                var groups = args.Skip(1).Select(g => g.Split(',').Select(Id).ToArray()).ToArray();
                foreach (var g in groups)
                {
                    Cut(g, _members.Keys.Except(g));
                }
                break;
            case "heal":
                _cut.Clear();
                break;
            case "restart":
                _members[Id(args[1])].Restart();
                break;
            case "status":
                foreach (var m in _members.Values)
                {
                    var n = m.Node;
                    _out.AppendLine($"  {n.Id}: {n.Role} term={n.Term} lead={n.Leader} last={n.LastIndex} commit={n.Committed} applied=[{string.Join(",", m.Applied)}]");
                }
                break;
            case "members":
                foreach (var m in _members.Values)
                {
                    _out.AppendLine($"  {m.Id}: {m.Node.ConfState}");
                }
                break;
            case "progress":
                var status = Node(args[1]).GetStatus();
                foreach (var (id, p) in status.Progress.OrderBy(p => p.Key))
                {
                    _out.AppendLine($"  {id}: match={p.Match} next={p.Next} {p.State}");
                }
                break;
            default:
                throw new InvalidOperationException($"unknown command {args[0]}");
        }
    }

    private static RaftConfig Configure(IEnumerable<string> options)
    {
        var config = new RaftConfig();
        foreach (var (key, value) in options.Select(o => o.Split('=')).Select(kv => (kv[0], kv[1])))
        {
            config = key switch
            {
                "prevote" => config with { PreVote = bool.Parse(value) },
                "checkquorum" => config with { CheckQuorum = bool.Parse(value) },
                "keep" => config with { CompactionKeepEntries = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new InvalidOperationException($"unknown cluster option {key}"),
            };
        }
        return config;
    }

    private void Cut(IEnumerable<ulong> side, IEnumerable<ulong> other)
    {
        foreach (var a in side)
        {
            foreach (var b in other)
            {
                _cut.Add((a, b));
                _cut.Add((b, a));
            }
        }
    }

    private void Deliver()
    {
        var queue = new Queue<Message>();
        var rounds = 0;
        do
        {
            foreach (var m in _members.Values)
            {
                foreach (var msg in m.Drain())
                {
                    queue.Enqueue(msg);
                }
            }
            while (queue.TryDequeue(out var msg))
            {
                if (_cut.Contains((msg.From, msg.To)) || !_members.TryGetValue(msg.To, out var to))
                {
                    if (msg.Type == MessageType.Snapshot && _members.TryGetValue(msg.From, out var from))
                    {
                        // The transport tells the leader, as a real host would on a failed stream.
                        from.Node.ReportSnapshot(msg.To, ok: false);
                    }
                    continue;
                }
                to.Node.Step(msg);
                if (msg.Type == MessageType.Snapshot)
                {
                    // The transport reports the delivered snapshot, as a real host does once the stream completes.
                    _members[msg.From].Node.ReportSnapshot(msg.To, ok: true);
                }
            }
        }
        while (_members.Values.Any(m => m.Node.HasReady) && ++rounds < 1000);
    }
}
