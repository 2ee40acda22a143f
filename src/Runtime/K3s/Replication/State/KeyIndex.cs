using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// The keys of the state in byte order (a red-black tree): point lookups and ordered scans of a
/// <see cref="KeyRange"/> in O(log n + k). Not thread-safe.
/// </summary>
internal sealed class KeyIndex
{
    private readonly SortedSet<KeyHistory> _keys = new(KeyHistoryComparer.Instance);
    private readonly KeyHistory _probe = new([]);

    public int Count => _keys.Count;

    public KeyHistory? Find(byte[] key)
    {
        _probe.Key = key;
        var found = _keys.TryGetValue(_probe, out var history) ? history : null;
        _probe.Key = [];
        return found;
    }

    public void Add(KeyHistory history) => _keys.Add(history);

    public void Remove(KeyHistory history) => _keys.Remove(history);

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
