namespace K3sLab.K3s.Replication.State;

/// <summary>A key's entry in the state's ordered key index: the key and its newest change (<see cref="Head"/>), which links to the older ones.</summary>
internal sealed class KeyHistory(byte[] key)
{
    public byte[] Key { get; } = key;

    public KeyVersion? Head { get; set; }
}

/// <summary>Orders <see cref="KeyHistory"/> entries by key bytes, unsigned, as etcd orders keys.</summary>
internal sealed class KeyHistoryComparer : IComparer<KeyHistory>
{
    public static KeyHistoryComparer Instance { get; } = new();

    public int Compare(KeyHistory? x, KeyHistory? y) => x!.Key.AsSpan().SequenceCompareTo(y!.Key);
}
