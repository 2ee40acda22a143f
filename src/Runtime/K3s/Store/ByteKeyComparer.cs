namespace K3sLab.K3s.Store;

/// <summary>Equality and byte order for keys held as byte arrays (etcd orders keys as unsigned bytes).</summary>
internal sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IComparer<byte[]>
{
    public static ByteKeyComparer Instance { get; } = new();

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
