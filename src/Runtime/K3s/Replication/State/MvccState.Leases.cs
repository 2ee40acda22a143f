using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication.State;

internal sealed partial class MvccState
{
    /// <summary>The granted leases, in ID order.</summary>
    public IReadOnlyList<long> LeaseIds() => [.. _leases.Keys.Order()];

    /// <summary>The TTL in seconds a lease was granted with, or null when it does not exist. Remaining TTL is the leader's business.</summary>
    public long? LeaseTtl(long id) => _leases.TryGetValue(id, out var lease) ? lease.Ttl : null;

    /// <summary>The keys attached to a lease in byte order (the order a revoke deletes them in); empty when it does not exist.</summary>
    public IReadOnlyList<byte[]> LeaseKeys(long id) =>
        _leases.TryGetValue(id, out var lease) ? [.. lease.Keys.Order(ByteKeyComparer.Instance)] : [];

    private LeaseGrant ApplyGrant(long id, long ttlSeconds)
    {
        if (id == 0)
        {
            throw new StoreException(StoreError.NotSupported, "a lease grant in the log must carry a lease ID; the leader picks one before proposing");
        }

        if (ttlSeconds > _options.MaxLeaseTtl)
        {
            throw new StoreException(StoreError.LeaseTtlTooLarge, $"a lease TTL may be at most {_options.MaxLeaseTtl} seconds");
        }

        if (_leases.ContainsKey(id))
        {
            throw new StoreException(StoreError.LeaseExists, $"lease {id:x} already exists");
        }

        var ttl = Math.Max(ttlSeconds, _options.MinLeaseTtl);
        _leases.Add(id, new LeaseRecord(ttl));
        return new LeaseGrant(id, ttl);
    }

    /// <summary>Deletes the lease's live keys in byte order at one new revision (none if it has none), then the lease.</summary>
    private long ApplyRevoke(long id)
    {
        if (!_leases.TryGetValue(id, out var lease))
        {
            throw new StoreException(StoreError.LeaseNotFound, $"lease {id:x} does not exist");
        }

        foreach (var key in lease.Keys.Order(ByteKeyComparer.Instance).ToList())
        {
            if (_index.Find(key) is { Head.IsTombstone: false } history)
            {
                Tombstone(history);
            }
        }

        _leases.Remove(id);
        Commit();
        return Revision;
    }
}
