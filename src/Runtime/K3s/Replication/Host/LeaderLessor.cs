namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// Lease expiry as only the leader keeps it (etcd's lessor): the replicated state knows which leases exist and
/// their granted TTL; this clock knows when each expires. A member that becomes leader gives every lease its full
/// TTL again, so a leader change never expires a lease whose holder kept renewing; the leader proposes a revoke
/// for each expired lease. Thread-safe.
/// </summary>
internal sealed class LeaderLessor(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<long, (long Ttl, long ExpiresAtMs)> _leases = [];
    private bool _leading;

    /// <summary>Starts keeping time for <paramref name="leases"/> (id → granted TTL), each from its full TTL.</summary>
    public void Promote(IEnumerable<(long Id, long Ttl)> leases)
    {
        lock (_gate)
        {
            _leading = true;
            _leases.Clear();
            var now = NowMs();
            foreach (var (id, ttl) in leases)
            {
                _leases[id] = (ttl, now + (ttl * 1000));
            }
        }
    }

    /// <summary>Stops keeping time: this member no longer leads.</summary>
    public void Demote()
    {
        lock (_gate)
        {
            _leading = false;
            _leases.Clear();
        }
    }

    public bool IsLeading
    {
        get
        {
            lock (_gate)
            {
                return _leading;
            }
        }
    }

    /// <summary>A lease was granted (applied): its clock starts at its full TTL.</summary>
    public void Granted(long id, long ttl)
    {
        lock (_gate)
        {
            if (_leading)
            {
                _leases[id] = (ttl, NowMs() + (ttl * 1000));
            }
        }
    }

    /// <summary>A lease was revoked (applied).</summary>
    public void Revoked(long id)
    {
        lock (_gate)
        {
            _leases.Remove(id);
        }
    }

    /// <summary>Renews a lease; its TTL, 0 when it does not exist, null when this member does not lead.</summary>
    public long? KeepAlive(long id)
    {
        lock (_gate)
        {
            if (!_leading)
            {
                return null;
            }

            if (!_leases.TryGetValue(id, out var lease))
            {
                return 0;
            }

            _leases[id] = (lease.Ttl, NowMs() + (lease.Ttl * 1000));
            return lease.Ttl;
        }
    }

    /// <summary>Seconds left (rounded up, as etcd reports), or null when unknown here.</summary>
    public long? Remaining(long id)
    {
        lock (_gate)
        {
            return _leading && _leases.TryGetValue(id, out var lease) ? Math.Max(0, (lease.ExpiresAtMs - NowMs() + 999) / 1000) : null;
        }
    }

    /// <summary>Leases whose time is up; the leader proposes their revocation (and may be asked again until it applies).</summary>
    public IReadOnlyList<long> Expired()
    {
        lock (_gate)
        {
            if (!_leading)
            {
                return [];
            }

            var now = NowMs();
            return [.. _leases.Where(l => l.Value.ExpiresAtMs <= now).Select(l => l.Key).Order()];
        }
    }

    private long NowMs() => (long)(time.GetTimestamp() * 1000.0 / time.TimestampFrequency);
}
