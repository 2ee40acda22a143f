using System.Text;

namespace K3sLab.Raft.Tests;

/// <summary>
/// One member's host in the golden scripts: a node, an in-memory "disk" (hard state, snapshot, entries) it persists
/// to as the Ready contract says, and a state machine that is the list of applied proposals.
/// </summary>
internal sealed class ScriptedMember
{
    private readonly ConfState _bootstrap;
    private readonly RaftConfig _config;
    private readonly StringBuilder _out;
    private readonly List<Entry> _storedEntries = [];
    private HardState _storedHardState;
    private Snapshot? _storedSnapshot;
    private int _restarts;

    public ScriptedMember(ulong id, ConfState bootstrap, RaftConfig config, StringBuilder output)
    {
        Id = id;
        _bootstrap = bootstrap;
        _config = config;
        _out = output;
        Node = NewNode();
    }

    public ulong Id { get; }
    public RaftNode Node { get; private set; }
    public List<string> Applied { get; private set; } = [];

    /// <summary>Every read state this member was handed, in order.</summary>
    public List<ReadState> Reads { get; } = [];

    /// <summary>Writes a line per applied configuration change (for randomized runs' failure reports).</summary>
    public bool TraceConfChanges { get; init; }

    /// <summary>Crash and restart from what was persisted; the state machine is rebuilt from the snapshot and the log.</summary>
    public void Restart()
    {
        _restarts++;
        Node = NewNode();
        Applied = Decode(_storedSnapshot?.Data ?? []);
    }

    /// <summary>Compacts at the applied index with the state machine as snapshot data, as a host would; null while joining.</summary>
    public Snapshot? Compact()
    {
        if (Node.ConfState.IsEmpty)
        {
            return null;
        }
        var snapshot = Node.Compact(Node.Applied, Encoding.UTF8.GetBytes(string.Join(",", Applied)));
        _storedSnapshot = snapshot;
        var keepFrom = snapshot.Index > (ulong)_config.CompactionKeepEntries ? snapshot.Index - (ulong)_config.CompactionKeepEntries : 0;
        _storedEntries.RemoveAll(e => e.Index <= keepFrom);
        return snapshot;
    }

    /// <summary>Handles every pending Ready in contract order; returns the messages to send.</summary>
    public List<Message> Drain()
    {
        var sent = new List<Message>();
        while (Node.HasReady)
        {
            var ready = Node.TakeReady();
            Persist(ready);
            sent.AddRange(ready.Messages);
            if (ready.Snapshot is { } snapshot)
            {
                Applied = Decode(snapshot.Data);
                _out.AppendLine($"  {Id}: restored snapshot {snapshot.Index}@t{snapshot.Term} {snapshot.ConfState}");
            }
            foreach (var e in ready.CommittedEntries)
            {
                Apply(e);
            }
            foreach (var rs in ready.ReadStates)
            {
                Reads.Add(rs);
                _out.AppendLine($"  {Id}: read {Encoding.UTF8.GetString(rs.Context)} at index {rs.Index}");
            }
            Node.Advance(ready);
        }
        return sent;
    }

    private void Persist(Ready ready)
    {
        if (ready.Snapshot is { } snapshot)
        {
            _storedSnapshot = snapshot;
            _storedEntries.Clear();
        }
        if (ready.HardState is { } hs)
        {
            _storedHardState = hs;
        }
        if (ready.Entries.Count > 0)
        {
            _storedEntries.RemoveAll(e => e.Index >= ready.Entries[0].Index);
            _storedEntries.AddRange(ready.Entries);
        }
    }

    private void Apply(Entry e)
    {
        if (e.Type == EntryType.ConfChange)
        {
            var change = ConfChange.Decode(e.Data);
            var conf = Node.ApplyConfChange(change);
            if (TraceConfChanges)
            {
                _out.AppendLine($"  {Id}: applied {change} at {e.Index}@t{e.Term} -> {conf} (role {Node.Role} t{Node.Term})");
            }
            return;
        }
        if (e.Data.Length > 0)
        {
            Applied.Add(Encoding.UTF8.GetString(e.Data));
        }
    }

    private RaftNode NewNode() =>
        new(Id, _bootstrap, _config, new Random((int)Id * 7919 + _restarts), _storedHardState, _storedSnapshot, [.. _storedEntries]);

    private static List<string> Decode(byte[] data) =>
        data.Length == 0 ? [] : [.. Encoding.UTF8.GetString(data).Split(',')];
}
