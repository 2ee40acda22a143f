using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// The keys of the state: a red-black tree in byte order for ordered scans of a <see cref="KeyRange"/> in
/// O(log n + k), and a hash map beside it for point lookups. A put of a new key used to walk the tree twice (look up,
/// then insert) and a put of an existing key once; with 256-byte keys each step of a walk compares two keys behind
/// three pointers, and the tree took 13 % of the members' CPU samples in a 200-client put level (up to 240,000 keys).
/// The map is only ever looked up, never enumerated, so its per-process hash seed cannot change any order the state
/// produces. Not thread-safe.
/// </summary>
internal sealed class KeyIndex
{
    private readonly SortedSet<KeyHistory> _keys = new(KeyHistoryComparer.Instance);
    private readonly Dictionary<byte[], KeyHistory> _byKey = new(ByteKeyComparer.Instance);

    public int Count => _keys.Count;

    public KeyHistory? Find(byte[] key) => _byKey.TryGetValue(key, out var history) ? history : null;

    public void Add(KeyHistory history)
    {
        if (_keys.Add(history))
        {
            _byKey.Add(history.Key, history);
        }
    }

    public void Remove(KeyHistory history)
    {
        if (_keys.Remove(history))
        {
            _byKey.Remove(history.Key);
        }
    }

    /// <summary>Every key, in order.</summary>
    public IEnumerable<KeyHistory> All => _keys;

    /// <summary>The keys <paramref name="range"/> names, in order (with <see cref="KeyRange"/>'s conventions).</summary>
    public IEnumerable<KeyHistory> In(KeyRange range)
    {
        if (range.IsSingleKey)
        {
            return Find(range.Key) is { } single ? [single] : [];
        }

        if (range.IsEverything)
        {
            return _keys;
        }

        if (_keys.Count == 0)
        {
            return [];
        }

        var low = new KeyHistory(range.Key);
        var max = _keys.Max!;
        if (range.IsOpenEnded)
        {
            return KeyHistoryComparer.Instance.Compare(low, max) > 0 ? [] : _keys.GetViewBetween(low, max);
        }

        if (range.Key.AsSpan().SequenceCompareTo(range.End) >= 0)
        {
            return [];
        }

        var high = new KeyHistory(range.End);
        return ExcludingEnd(_keys.GetViewBetween(low, high), range.End);
    }

    private static IEnumerable<KeyHistory> ExcludingEnd(SortedSet<KeyHistory> view, byte[] end)
    {
        foreach (var history in view)
        {
            if (history.Key.AsSpan().SequenceEqual(end))
            {
                yield break;
            }

            yield return history;
        }
    }
}
