namespace K3sLab.K3s.Store;

/// <summary>
/// A key interval with etcd's conventions: an empty <see cref="End"/> means the single key <see cref="Key"/>;
/// an <see cref="End"/> of one zero byte means every key from <see cref="Key"/> on (and, with a <see cref="Key"/>
/// of one zero byte too, every key); otherwise the half-open interval [Key, End) in byte order.
/// </summary>
internal readonly record struct KeyRange(byte[] Key, byte[] End)
{
    public static KeyRange Single(byte[] key) => new(key, []);

    public static KeyRange Prefix(byte[] prefix) => new(prefix, PrefixEnd(prefix));

    public bool IsSingleKey => End.Length == 0;

    /// <summary>True when the interval has no upper bound.</summary>
    public bool IsOpenEnded => End is [0];

    /// <summary>True when the range names every key ("\0" to "\0").</summary>
    public bool IsEverything => Key is [0] && End is [0];

    public bool Contains(ReadOnlySpan<byte> key)
    {
        if (IsSingleKey)
        {
            return key.SequenceEqual(Key);
        }

        if (IsEverything)
        {
            return true;
        }

        return key.SequenceCompareTo(Key) >= 0 && (IsOpenEnded || key.SequenceCompareTo(End) < 0);
    }

    /// <summary>True when two ranges share at least one key.</summary>
    public bool Overlaps(KeyRange other)
    {
        if (IsSingleKey)
        {
            return other.Contains(Key);
        }

        if (other.IsSingleKey)
        {
            return Contains(other.Key);
        }

        var lowA = IsEverything ? [] : Key;
        var lowB = other.IsEverything ? [] : other.Key;
        var aBelowB = IsOpenEnded || lowB.AsSpan().SequenceCompareTo(End) < 0;
        var bBelowA = other.IsOpenEnded || lowA.AsSpan().SequenceCompareTo(other.End) < 0;
        return aBelowB && bBelowA;
    }

    /// <summary>The smallest key greater than every key with <paramref name="prefix"/>, as etcd's clientv3 computes it.</summary>
    public static byte[] PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        // All 0xff: no upper bound, every key from the prefix on.
        return [0];
    }
}
