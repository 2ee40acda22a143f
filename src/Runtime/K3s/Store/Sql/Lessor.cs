namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// Leases in memory, as etcd's lessor keeps them: the granted TTL, the expiry (never persisted; a restart renews
/// every lease to its full TTL, as etcd does), and the keys attached. The writer changes attachments inside a
/// transaction and undoes them if the transaction rolls back. Thread-safe.
/// </summary>
internal sealed class Lessor(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<long, Lease> _leases = [];

    private sealed class Lease(long ttl)
    {
        public long Ttl { get; } = ttl;

        public DateTimeOffset ExpiresAt { get; set; }

        public HashSet<byte[]> Keys { get; } = new(ByteKeyComparer.Instance);
    }

    public bool Exists(long id)
    {
        lock (_gate)
        {
            return _leases.TryGetValue(id, out var lease) && lease.ExpiresAt > time.GetUtcNow();
        }
    }

    public bool Known(long id)
    {
        lock (_gate)
        {
            return _leases.ContainsKey(id);
        }
    }

    public void Add(long id, long ttl)
    {
        lock (_gate)
        {
            _leases[id] = new Lease(ttl) { ExpiresAt = time.GetUtcNow().AddSeconds(ttl) };
        }
    }

    /// <summary>Adds a lease another server granted, with the expiry the database holds.</summary>
    public void Add(long id, long ttl, DateTimeOffset expiresAt)
    {
        lock (_gate)
        {
            _leases[id] = new Lease(ttl) { ExpiresAt = expiresAt };
        }
    }

    /// <summary>Moves a known lease's expiry to <paramref name="expiresAt"/> if that is later (another server renewed it).</summary>
    public void Extend(long id, DateTimeOffset expiresAt)
    {
        lock (_gate)
        {
            if (_leases.TryGetValue(id, out var lease) && expiresAt > lease.ExpiresAt)
            {
                lease.ExpiresAt = expiresAt;
            }
        }
    }

    /// <summary>
    /// Makes the leases match a shared database's table: a lease the table lacks was revoked elsewhere and goes;
    /// an unknown one is added; a known one takes the later of the two expiries (another server renewed it).
    /// </summary>
    public void Sync(IReadOnlyList<(long Id, long Ttl, DateTimeOffset ExpiresAt)> rows)
    {
        lock (_gate)
        {
            var present = new HashSet<long>();
            foreach (var (id, ttl, expiresAt) in rows)
            {
                present.Add(id);
                if (_leases.TryGetValue(id, out var lease))
                {
                    lease.ExpiresAt = expiresAt > lease.ExpiresAt ? expiresAt : lease.ExpiresAt;
                }
                else
                {
                    _leases[id] = new Lease(ttl) { ExpiresAt = expiresAt };
                }
            }

            foreach (var id in _leases.Keys.Where(id => !present.Contains(id)).ToList())
            {
                _leases.Remove(id);
            }
        }
    }

    public void Remove(long id)
    {
        lock (_gate)
        {
            _leases.Remove(id);
        }
    }

    public void Attach(byte[] key, long id)
    {
        lock (_gate)
        {
            if (_leases.TryGetValue(id, out var lease))
            {
                lease.Keys.Add(key);
            }
        }
    }

    public void Detach(byte[] key, long id)
    {
        lock (_gate)
        {
            if (_leases.TryGetValue(id, out var lease))
            {
                lease.Keys.Remove(key);
            }
        }
    }

    /// <summary>Renews a live lease to its full TTL and returns the TTL; 0 when it does not exist or has expired (it is about to be revoked).</summary>
    public long Renew(long id)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (!_leases.TryGetValue(id, out var lease) || lease.ExpiresAt <= now)
            {
                return 0;
            }

            lease.ExpiresAt = now.AddSeconds(lease.Ttl);
            return lease.Ttl;
        }
    }

    public LeaseStatus? Status(long id, bool withKeys)
    {
        lock (_gate)
        {
            if (!_leases.TryGetValue(id, out var lease))
            {
                return null;
            }

            var remaining = (long)Math.Max(0, (lease.ExpiresAt - time.GetUtcNow()).TotalSeconds);
            IReadOnlyList<byte[]> keys = withKeys ? lease.Keys.Order(ByteKeyComparer.Instance).ToList() : [];
            return new LeaseStatus(id, remaining, lease.Ttl, keys);
        }
    }

    /// <summary>The attached keys in byte order, the order etcd deletes them in on revoke.</summary>
    public List<byte[]> KeysOf(long id)
    {
        lock (_gate)
        {
            return _leases.TryGetValue(id, out var lease) ? lease.Keys.Order(ByteKeyComparer.Instance).ToList() : [];
        }
    }

    public List<long> Ids()
    {
        lock (_gate)
        {
            return [.. _leases.Keys.Order()];
        }
    }

    public List<long> Expired()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            return [.. _leases.Where(l => l.Value.ExpiresAt <= now).Select(l => l.Key)];
        }
    }
}
