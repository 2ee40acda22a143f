using K3sLab.Scenarios.Checkers;

namespace K3sLab.Scenarios.Simulation;

/// <summary>
/// A small revisioned key-value store: every successful write bumps one global revision (a pair write bumps it once
/// for both keys), reads answer with the key's mod revision, and the full event history is kept (no compaction) so
/// watchers can be served from any revision. Single-threaded, owned by one simulated member.
/// </summary>
internal sealed partial class RevisionedKv : IReplicatedStateMachine
{
    private readonly SortedDictionary<string, (string Value, long ModRevision)> _data = new(StringComparer.Ordinal);
    private readonly List<WatchEvent> _events = [];
    private readonly List<int> _firstEventOfRevision = [];

    public long Revision { get; private set; }
    public ulong AppliedIndex { get; private set; }

    /// <summary>Every event so far, in revision order.</summary>
    public IReadOnlyList<WatchEvent> Events => _events;

    public (string Value, long ModRevision)? Get(string key) => _data.TryGetValue(key, out var v) ? v : null;

    /// <summary>The events of <paramref name="revision"/> (1..<see cref="Revision"/>), in write order.</summary>
    public ReadOnlySpan<WatchEvent> EventsAt(long revision)
    {
        var start = _firstEventOfRevision[(int)revision - 1];
        var end = revision == Revision ? _events.Count : _firstEventOfRevision[(int)revision];
        return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_events)[start..end];
    }

    public KvResult? Apply(ulong index, byte[] command)
    {
        AppliedIndex = index;
        if (command.Length == 0)
        {
            return null;
        }
        var c = KvCommand.Decode(command);
        var current = Get(c.Key);
        switch (c.Kind)
        {
            case KvCommandKind.Get:
                return new KvResult(c.RequestId, true, 0, current?.Value, current?.ModRevision ?? 0);
            case KvCommandKind.Cas when (current?.ModRevision ?? 0) != c.ExpectedRevision:
                return new KvResult(c.RequestId, false, 0, current?.Value, current?.ModRevision ?? 0);
            case KvCommandKind.PutPair:
                Write(c.Key, c.Value, newRevision: true);
                Write(c.Key2, c.Value2, newRevision: false);
                return new KvResult(c.RequestId, true, Revision, null, 0);
            default:
                Write(c.Key, c.Value, newRevision: true);
                return new KvResult(c.RequestId, true, Revision, null, 0);
        }
    }

    private void Write(string key, string value, bool newRevision)
    {
        if (newRevision)
        {
            Revision++;
            _firstEventOfRevision.Add(_events.Count);
        }
        _data[key] = (value, Revision);
        _events.Add(new WatchEvent(Revision, key, value));
    }

    public ulong StateHash
    {
        get
        {
            // FNV-1a over the ordered contents: deterministic across processes, unlike string.GetHashCode.
            var h = Fnv.Offset;
            h = Fnv.Mix(h, (ulong)Revision);
            foreach (var (k, v) in _data)
            {
                h = Fnv.Mix(Fnv.Mix(Fnv.Mix(h, k), v.Value), (ulong)v.ModRevision);
            }
            return h;
        }
    }
}
