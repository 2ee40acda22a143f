using System.Text;

namespace K3sLab.Raft.Tests;

/// <summary>
/// Interprets golden scripts against in-memory members with instant, lossless delivery except across cut links.
/// Commands: "cluster N", "tick N" (ticks every member N times, delivering after each), "propose ID TEXT",
/// "isolate ID", "heal", "status". Each command's output is appended to the transcript.
/// </summary>
internal sealed class ScriptedCluster
{
    private readonly List<RaftNode> _nodes = [];
    private readonly HashSet<ulong> _isolated = [];
    private readonly Dictionary<ulong, List<string>> _applied = [];
    private readonly StringBuilder _out = new();

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
        }
        return cluster._out.ToString();
    }

    private void Execute(string[] args)
    {
        switch (args[0])
        {
            case "cluster":
                var ids = Enumerable.Range(1, int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)).Select(i => (ulong)i).ToArray();
                foreach (var id in ids)
                {
                    // Seeded per member so elections are reproducible.
                    _nodes.Add(new RaftNode(id, ids, new RaftConfig(), new Random((int)id * 7919), default, []));
                    _applied[id] = [];
                }
                break;
            case "tick":
                for (var i = 0; i < int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture); i++)
                {
                    foreach (var n in _nodes)
                    {
                        n.Tick();
                    }
                    Deliver();
                }
                break;
            case "propose":
                var node = _nodes[int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) - 1];
                var result = node.Propose(Encoding.UTF8.GetBytes(args[2]));
                _out.AppendLine(result is { } r ? $"  accepted {r.Index}@t{r.Term}" : "  dropped: not leader");
                Deliver();
                break;
            case "isolate":
                _isolated.Add(ulong.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
                break;
            case "heal":
                _isolated.Clear();
                break;
            case "status":
                foreach (var n in _nodes)
                {
                    _out.AppendLine($"  {n.Id}: {n.Role} term={n.Term} lead={n.Leader} last={n.LastIndex} commit={n.Committed} applied=[{string.Join(",", _applied[n.Id])}]");
                }
                break;
            default:
                throw new InvalidOperationException($"unknown command {args[0]}");
        }
    }

    private void Deliver()
    {
        var queue = new Queue<Message>();
        var rounds = 0;
        do
        {
            foreach (var n in _nodes)
            {
                while (n.HasReady)
                {
                    var ready = n.TakeReady();
                    foreach (var m in ready.Messages)
                    {
                        queue.Enqueue(m);
                    }
                    foreach (var e in ready.CommittedEntries.Where(e => e.Data.Length > 0))
                    {
                        _applied[n.Id].Add(Encoding.UTF8.GetString(e.Data));
                    }
                    n.Advance(ready);
                }
            }
            while (queue.TryDequeue(out var m))
            {
                if (!_isolated.Contains(m.From) && !_isolated.Contains(m.To))
                {
                    _nodes[(int)m.To - 1].Step(m);
                }
            }
        }
        while (_nodes.Any(n => n.HasReady) && ++rounds < 1000);
    }
}
