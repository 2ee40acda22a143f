using System.Data.Common;

namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// Leases: held in memory by the <see cref="Lessor"/> as etcd's lessor holds them, recorded in the lease table. On
/// a shared database the table is the truth: renewals write the expiry there, each server syncs its lessor from
/// it every <see cref="LeaseSyncInterval"/>, and an expired lease is revoked by whichever server sees it first,
/// after re-reading its expiry under the writers' lock, deleting the keys the database holds for it.
/// </summary>
internal sealed partial class SqlStore
{
    private static readonly TimeSpan LeaseSyncInterval = TimeSpan.FromSeconds(2);

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
                while (w.LeaseKnown(leaseId));
            }
            else if (w.LeaseKnown(leaseId))
            {
                throw new StoreException(StoreError.LeaseExists, $"lease {leaseId:x} already exists");
            }

            using var insert = SqlCommands.Create(w.Db, w.Transaction, _dialect.InsertLeaseSql).Bind("@id", leaseId).Bind("@ttl", ttl);
            if (_dialect.Shared)
            {
                insert.Bind("@expires", ExpiryMillis(ttl));
            }

            insert.ExecuteNonQuery();
            w.Lessor.Add(leaseId, ttl);
            w.OnRollback(() => w.Lessor.Remove(leaseId));
            return new LeaseGrant(leaseId, ttl);
        });
    }

    public Task<long> RevokeLeaseAsync(long id, CancellationToken cancellationToken) => RevokeAsync(id, onlyIfExpired: false);

    public async Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken)
    {
        if (!_dialect.Shared)
        {
            return _lessor.Renew(id);
        }

        // Other servers must see the renewal, or they would revoke a lease this server keeps alive.
        return await _writer.EnqueueAsync(w =>
        {
            using var command = SqlCommands.Create(w.Db, w.Transaction, "SELECT ttl, expires_at FROM lease WHERE id = @id").Bind("@id", id);
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read() || reader.GetInt64(1) <= _options.Time.GetUtcNow().ToUnixTimeMilliseconds())
                {
                    return 0L;
                }

                var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1));
                if (w.Lessor.Known(id))
                {
                    w.Lessor.Extend(id, expiresAt);
                }
                else
                {
                    w.Lessor.Add(id, reader.GetInt64(0), expiresAt);
                }
            }

            var renewed = w.Lessor.Renew(id);
            using var update = SqlCommands.Create(w.Db, w.Transaction, "UPDATE lease SET expires_at = @expires WHERE id = @id").Bind("@expires", ExpiryMillis(renewed)).Bind("@id", id);
            update.ExecuteNonQuery();
            return renewed;
        }).ConfigureAwait(false);
    }

    public Task<LeaseStatus?> TimeToLiveAsync(long id, bool withKeys, CancellationToken cancellationToken) => Task.FromResult(_lessor.Status(id, withKeys));

    public Task<IReadOnlyList<long>> LeasesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<long>>(_lessor.Ids());

    private Task<long> RevokeAsync(long id, bool onlyIfExpired) =>
        _writer.EnqueueAsync(w =>
        {
            if (!w.LeaseKnown(id))
            {
                throw new StoreException(StoreError.LeaseNotFound, $"lease {id:x} does not exist");
            }

            if (onlyIfExpired && _dialect.Shared && !ExpiredInDatabase(w, id))
            {
                // Another server renewed it: keep it, with the newer expiry.
                SyncLeases(w);
                return w.Revision;
            }

            var ttl = w.Lessor.Status(id, withKeys: false)!.GrantedTtl;
            var keys = _dialect.Shared ? KeysInDatabase(w, id) : w.Lessor.KeysOf(id);
            var revision = w.Applier.DeleteKeys(keys);
            using var delete = SqlCommands.Create(w.Db, w.Transaction, "DELETE FROM lease WHERE id = @id").Bind("@id", id);
            delete.ExecuteNonQuery();
            w.Lessor.Remove(id);
            w.OnRollback(() => w.Lessor.Add(id, ttl));
            return revision;
        });

    private long ExpiryMillis(long ttlSeconds) => _options.Time.GetUtcNow().AddSeconds(ttlSeconds).ToUnixTimeMilliseconds();

    private bool ExpiredInDatabase(SqlWriter w, long id)
    {
        using var command = SqlCommands.Create(w.Db, w.Transaction, "SELECT expires_at FROM lease WHERE id = @id").Bind("@id", id);
        return command.ExecuteScalar() is not long expires || expires <= _options.Time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>The live keys attached to a lease, in byte order, as the database holds them (other servers attach keys too).</summary>
    private static List<byte[]> KeysInDatabase(SqlWriter w, long id)
    {
        using var command = SqlCommands.Create(w.Db, w.Transaction, """
            SELECT kv.name FROM kv JOIN (SELECT MAX(id) AS mid FROM kv WHERE name IN (SELECT name FROM kv WHERE lease = @lease) GROUP BY name) m ON kv.id = m.mid
            WHERE kv.deleted = 0 AND kv.lease = @lease ORDER BY kv.name
            """).Bind("@lease", id);
        using var reader = command.ExecuteReader();
        var keys = new List<byte[]>();
        while (reader.Read())
        {
            keys.Add((byte[])reader.GetValue(0));
        }

        return keys;
    }

    /// <summary>Makes this server's lessor match the shared lease table; runs on the writer, so it cannot race a grant.</summary>
    private bool SyncLeases(SqlWriter w)
    {
        using var command = SqlCommands.Create(w.Db, w.Transaction, "SELECT id, ttl, expires_at FROM lease");
        using var reader = command.ExecuteReader();
        var rows = new List<(long, long, DateTimeOffset)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))));
        }

        w.Lessor.Sync(rows);
        return true;
    }

    /// <summary>Loads granted leases (renewed to their full TTL, as etcd does on start) and the keys attached to them.</summary>
    private void LoadLeases(DbConnection db)
    {
        using (var leases = SqlCommands.Create(db, null, "SELECT id, ttl FROM lease"))
        {
            using var reader = leases.ExecuteReader();
            while (reader.Read())
            {
                _lessor.Add(reader.GetInt64(0), reader.GetInt64(1));
            }
        }

        using var keys = SqlCommands.Create(db, null, """
            SELECT kv.name, kv.lease FROM kv JOIN (SELECT MAX(id) AS mid FROM kv GROUP BY name) m ON kv.id = m.mid
            WHERE kv.deleted = 0 AND kv.lease != 0
            """);
        using var rows = keys.ExecuteReader();
        while (rows.Read())
        {
            _lessor.Attach((byte[])rows.GetValue(0), rows.GetInt64(1));
        }
    }

    /// <summary>Revokes expired leases, checking twice a second as etcd's lessor does; on a shared database syncs the lessor first.</summary>
    private async Task LeaseLoopAsync()
    {
        var token = _stop.Token;
        var nextSync = DateTimeOffset.MinValue;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _options.Time);
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                if (_dialect.Shared && _options.Time.GetUtcNow() >= nextSync)
                {
                    nextSync = _options.Time.GetUtcNow() + LeaseSyncInterval;
                    try
                    {
                        await _writer.EnqueueAsync(SyncLeases).ConfigureAwait(false);
                    }
                    catch (StoreException e)
                    {
                        LogLeaseSyncFailed(_logger, e.Message);
                        continue;
                    }
                }

                foreach (var id in _lessor.Expired())
                {
                    try
                    {
                        await RevokeAsync(id, onlyIfExpired: true).ConfigureAwait(false);
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

    [LoggerMessage(EventId = 4553, Level = LogLevel.Warning, Message = "Reading the shared lease table failed, will retry: {Reason}")]
    private static partial void LogLeaseSyncFailed(ILogger logger, string reason);
}
