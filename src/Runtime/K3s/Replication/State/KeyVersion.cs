using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// One change of a key: a put (version at least 1) or a delete tombstone (version 0, no value, no lease), at the
/// revision pair {<see cref="ModRevision"/>, <see cref="Sub"/>}. <see cref="Prev"/> links to the key's previous
/// change while the history still holds it; compaction cuts the link.
/// </summary>
internal sealed class KeyVersion(byte[] key, long modRevision, int sub, long createRevision, long version, byte[] value, long lease)
{
    public byte[] Key { get; } = key;

    public long ModRevision { get; } = modRevision;

    /// <summary>The position of this change among the writes of its revision.</summary>
    public int Sub { get; } = sub;

    public long CreateRevision { get; } = createRevision;

    public long Version { get; } = version;

    public byte[] Value { get; } = value;

    public long Lease { get; } = lease;

    public KeyVersion? Prev { get; set; }

    /// <summary>Set by compaction on the changes it discards, before they leave the revision log.</summary>
    public bool Dropped { get; set; }

    public bool IsTombstone => Version == 0;

    public static KeyVersion Tombstone(byte[] key, long modRevision, int sub) => new(key, modRevision, sub, 0, 0, [], 0);

    public KeyValue ToKeyValue() => new(Key, CreateRevision, ModRevision, Version, Value, Lease);

    /// <summary>The newest change at or below <paramref name="revision"/>, tombstone or not.</summary>
    public KeyVersion? AtOrBefore(long revision)
    {
        var v = this;
        while (v is not null && v.ModRevision > revision)
        {
            v = v.Prev;
        }

        return v;
    }
}
