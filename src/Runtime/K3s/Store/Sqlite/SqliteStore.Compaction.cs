namespace K3sLab.K3s.Store.Sqlite;

internal sealed partial class SqliteStore
{
    /// <summary>The revision through which compacted history has been physically deleted (catches up with <see cref="CompactRevision"/> in the background).</summary>
    public long CompactedThrough => Interlocked.Read(ref _compactedThrough);

    public Task<long> CompactAsync(long revision, CancellationToken cancellationToken) =>
        _writer.EnqueueAsync(w =>
        {
            var compacted = CompactRevision;
            if (revision <= compacted)
            {
                throw new StoreException(StoreError.Compacted, $"revision {revision} is already compacted (compacted revision {compacted})") { CompactRevision = compacted };
            }

            if (revision > w.Revision)
            {
                throw new StoreException(StoreError.FutureRevision, $"cannot compact to revision {revision}, the current revision is {w.Revision}");
            }

            SqliteSchema.WriteMeta(w.Db, "compact_revision", revision, w.Transaction);

            // Raised before the batch commits and before any row is deleted: reads of older revisions fail from now on.
            Interlocked.Exchange(ref _compactRevision, revision);
            w.OnRollback(() => Interlocked.Exchange(ref _compactRevision, compacted));
            _compactSignal.Release();
            return w.Revision;
        });

    /// <summary>
    /// Deletes compacted history in windows of <see cref="SqliteStoreOptions.CompactWindow"/> revisions, one short
    /// write transaction each, interleaved with client writes; never past what the poller has published, so no
    /// watcher misses an event. Then truncates the WAL. Also runs kine's automatic compaction.
    /// </summary>
    private async Task CompactLoopAsync()
    {
        var token = _stop.Token;
        var nextAuto = _options.Time.GetUtcNow() + _options.AutoCompactInterval;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _compactSignal.WaitAsync(TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
                if (_options.AutoCompactInterval > TimeSpan.Zero && _options.Time.GetUtcNow() >= nextAuto)
                {
                    nextAuto = _options.Time.GetUtcNow() + _options.AutoCompactInterval;
                    var target = CurrentRevision - _options.AutoCompactRetain;
                    if (target > CompactRevision)
                    {
                        await CompactAsync(target, token).ConfigureAwait(false);
                        LogAutoCompacted(_logger, target);
                    }
                }

                var deleted = 0L;
                while (!token.IsCancellationRequested)
                {
                    var from = Interlocked.Read(ref _compactedThrough);
                    var limit = Math.Min(CompactRevision, _hub.Revision);
                    if (from >= limit)
                    {
                        break;
                    }

                    var to = Math.Min(limit, from + _options.CompactWindow);
                    deleted += await _writer.EnqueueAsync(w => DeleteCompacted(w, from, to)).ConfigureAwait(false);
                    Interlocked.Exchange(ref _compactedThrough, to);
                }

                if (deleted > 0)
                {
                    await _writer.EnqueueAsync(Checkpoint, outsideTransaction: true).ConfigureAwait(false);
                    LogCompacted(_logger, Interlocked.Read(ref _compactedThrough), deleted);
                }
                else if (WalBytes() > WalTruncateBytes)
                {
                    // Under a steady write load SQLite's own checkpoints copy pages but can never restart the WAL
                    // while readers come and go, so the file only grows (k3s#10396): truncate it ourselves.
                    await _writer.EnqueueAsync(Checkpoint, outsideTransaction: true).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException e)
            {
                LogCompactFailed(_logger, e.Message);
            }
        }
    }

    /// <summary>
    /// Deletes, for the revisions (from, to], every row that a later row at or below <c>to</c> supersedes (the
    /// predecessors named by prev_revision) and every tombstone: what is left at or below the compacted revision is
    /// exactly each live key's newest version.
    /// </summary>
    private static long DeleteCompacted(SqliteWriter w, long from, long to)
    {
        using var superseded = w.Db.CreateCommand();
        superseded.Transaction = w.Transaction;
        superseded.CommandText = """
            DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id >= $lo AND id < $hi AND prev_revision != 0);
            DELETE FROM kv WHERE id >= $lo AND id < $hi AND deleted = 1;
            """;
        superseded.Parameters.AddWithValue("$lo", EventId.FirstOf(from + 1));
        superseded.Parameters.AddWithValue("$hi", EventId.FirstOf(to + 1));
        long count = superseded.ExecuteNonQuery();
        SqliteSchema.WriteMeta(w.Db, "compacted_through", to, w.Transaction);
        return count;
    }

    /// <summary>The WAL size above which the store truncates it without waiting for a compaction.</summary>
    private const long WalTruncateBytes = 64L * 1024 * 1024;

    private long WalBytes()
    {
        var wal = new FileInfo(_options.Path + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    /// <summary>Copies the WAL into the database and truncates it, waiting at most briefly for readers.</summary>
    private static bool Checkpoint(SqliteWriter w)
    {
        using var command = w.Db.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 2000; PRAGMA wal_checkpoint(TRUNCATE);";
        using var reader = command.ExecuteReader();

        // busy_timeout answers a row, then wal_checkpoint answers (busy, log pages, checkpointed pages).
        reader.NextResult();
        return reader.Read() && reader.GetInt64(0) == 0;
    }

    [LoggerMessage(EventId = 340, Level = LogLevel.Information, Message = "Compacted history through revision {Revision}: {Rows} rows deleted")]
    private static partial void LogCompacted(ILogger logger, long revision, long rows);

    [LoggerMessage(EventId = 341, Level = LogLevel.Information, Message = "Automatic compaction to revision {Revision}")]
    private static partial void LogAutoCompacted(ILogger logger, long revision);

    [LoggerMessage(EventId = 342, Level = LogLevel.Warning, Message = "Compaction step failed, will retry: {Reason}")]
    private static partial void LogCompactFailed(ILogger logger, string reason);
}
