namespace K3sLab.K3s.Store.Sqlite;

internal sealed partial class SqliteStore
{
    public Task<LeaseGrant> GrantLeaseAsync(long id, long ttlSeconds, CancellationToken cancellationToken)
    {
        if (ttlSeconds > _options.MaxLeaseTtl)
        {
            throw new StoreException(StoreError.LeaseTtlTooLarge, $"a lease TTL may be at most {_options.MaxLeaseTtl} seconds");
        }

        var ttl = Math.Max(ttlSeconds, _options.MinLeaseTtl);
        return _writer.EnqueueAsync(w =>
        {
            var leaseId = id;
            if (leaseId == 0)
            {
                do
                {
                    leaseId = RandomIds.Next();
                }
                while (w.Lessor.Known(leaseId));
            }
            else if (w.Lessor.Known(leaseId))
            {
                throw new StoreException(StoreError.LeaseExists, $"lease {leaseId:x} already exists");
            }

            using var insert = w.Db.CreateCommand();
            insert.Transaction = w.Transaction;
            insert.CommandText = "INSERT INTO lease (id, ttl) VALUES ($id, $ttl)";
            insert.Parameters.AddWithValue("$id", leaseId);
            insert.Parameters.AddWithValue("$ttl", ttl);
            insert.ExecuteNonQuery();
            w.Lessor.Add(leaseId, ttl);
            w.OnRollback(() => w.Lessor.Remove(leaseId));
            return new LeaseGrant(leaseId, ttl);
        });
    }

    public Task<long> RevokeLeaseAsync(long id, CancellationToken cancellationToken) =>
        _writer.EnqueueAsync(w =>
        {
            if (!w.Lessor.Known(id))
            {
                throw new StoreException(StoreError.LeaseNotFound, $"lease {id:x} does not exist");
            }

            var ttl = w.Lessor.Status(id, withKeys: false)!.GrantedTtl;
            var revision = w.Applier.DeleteKeys(w.Lessor.KeysOf(id));
            using var delete = w.Db.CreateCommand();
            delete.Transaction = w.Transaction;
            delete.CommandText = "DELETE FROM lease WHERE id = $id";
            delete.Parameters.AddWithValue("$id", id);
            delete.ExecuteNonQuery();
            w.Lessor.Remove(id);
            w.OnRollback(() => w.Lessor.Add(id, ttl));
            return revision;
        });

    public Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken) => Task.FromResult(_lessor.Renew(id));

    public Task<LeaseStatus?> TimeToLiveAsync(long id, bool withKeys, CancellationToken cancellationToken) => Task.FromResult(_lessor.Status(id, withKeys));

    public Task<IReadOnlyList<long>> LeasesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<long>>(_lessor.Ids());

    /// <summary>Loads granted leases (renewed to their full TTL, as etcd does on start) and the keys attached to them.</summary>
    private void LoadLeases()
    {
        using (var leases = _writerConnection.CreateCommand())
        {
            leases.CommandText = "SELECT id, ttl FROM lease";
            using var reader = leases.ExecuteReader();
            while (reader.Read())
            {
                _lessor.Add(reader.GetInt64(0), reader.GetInt64(1));
            }
        }

        using var keys = _writerConnection.CreateCommand();
        keys.CommandText = """
            SELECT kv.name, kv.lease FROM kv JOIN (SELECT MAX(id) AS mid FROM kv GROUP BY name) m ON kv.id = m.mid
            WHERE kv.deleted = 0 AND kv.lease != 0
            """;
        using var rows = keys.ExecuteReader();
        while (rows.Read())
        {
            _lessor.Attach((byte[])rows.GetValue(0), rows.GetInt64(1));
        }
    }

    /// <summary>Revokes expired leases, checking twice a second as etcd's lessor does.</summary>
    private async Task LeaseLoopAsync()
    {
        var token = _stop.Token;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _options.Time);
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                foreach (var id in _lessor.Expired())
                {
                    try
                    {
                        await RevokeLeaseAsync(id, token).ConfigureAwait(false);
                        LogLeaseExpired(_logger, id);
                    }
                    catch (StoreException e) when (e.Error == StoreError.LeaseNotFound)
                    {
                    }
                    catch (StoreException e)
                    {
                        LogLeaseRevokeFailed(_logger, id, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Debug, Message = "Lease {Id:x} expired and was revoked")]
    private static partial void LogLeaseExpired(ILogger logger, long id);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "Revoking expired lease {Id:x} failed, will retry: {Reason}")]
    private static partial void LogLeaseRevokeFailed(ILogger logger, long id, string reason);
}
