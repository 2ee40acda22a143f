namespace K3sLab.K3s.Store.Sql;

internal sealed partial class SqlStore
{
    /// <summary>The revision through which compacted history has been physically deleted (catches up with <see cref="CompactRevision"/> in the background).</summary>
    public long CompactedThrough => Interlocked.Read(ref _compactedThrough);

    /// <summary>
    /// Raises the compacted revision. It runs as a serializable transaction of its own and reads the compacted
    /// revision from the database, so of two servers compacting one shared database at once, one wins and the
    /// other's older target fails as etcd's would.
    /// </summary>
    public Task<long> CompactAsync(long revision, CancellationToken cancellationToken) =>
        _writer.EnqueueAsync(
            w =>
            {
                var compacted = Math.Max(CompactRevision, SqlCommands.ReadMeta(w.Db, "compact_revision", w.Transaction) ?? 0);
                if (revision <= compacted)
                {
                    RaiseCompactRevision(compacted);
                    throw new StoreException(StoreError.Compacted, $"revision {revision} is already compacted (compacted revision {compacted})") { CompactRevision = compacted };
                }

                if (revision > w.Revision)
                {
                    throw new StoreException(StoreError.FutureRevision, $"cannot compact to revision {revision}, the current revision is {w.Revision}");
                }

                SqlCommands.WriteMeta(w.Db, "compact_revision", revision, w.Transaction);

                // Raised before the batch commits and before any row is deleted: reads of older revisions fail from now on.
                var before = Interlocked.Exchange(ref _compactRevision, revision);
                w.OnRollback(() => Interlocked.Exchange(ref _compactRevision, before));
                _compactSignal.Release();
                return w.Revision;
            },
            serializable: true);

    /// <summary>
    /// Deletes compacted history in windows of <see cref="SqlStoreOptions.CompactWindow"/> revisions, one short
    /// serializable transaction each, interleaved with client writes; never past what the poller has published, so
    /// no watcher of this server misses an event. Then lets the engine tidy up (SQLite truncates its WAL). Also
    /// runs kine's automatic compaction.
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
                while (!token.IsCancellationRequested && Interlocked.Read(ref _compactedThrough) < Math.Min(CompactRevision, _hub.Revision))
                {
                    var limit = Math.Min(CompactRevision, _hub.Revision);
                    var (rows, through) = await _writer.EnqueueAsync(w => DeleteCompacted(w, limit), serializable: true).ConfigureAwait(false);
                    deleted += rows;
                    Interlocked.Exchange(ref _compactedThrough, through);
                }

                if (_dialect.WantsCheckpoint(deleted))
                {
                    await _writer.EnqueueAsync(w => _dialect.Checkpoint(w.Db), outsideTransaction: true).ConfigureAwait(false);
                }

                if (deleted > 0)
                {
                    LogCompacted(_logger, Interlocked.Read(ref _compactedThrough), deleted);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException e) when (e.Error == StoreError.Compacted)
            {
                // Another server compacted further first.
            }
            catch (StoreException e)
            {
                LogCompactFailed(_logger, e.Message);
            }
        }
    }

    /// <summary>
    /// Deletes, for the next window of revisions above what the database records as deleted, every row that a
    /// later row in the window supersedes (the predecessors named by prev_revision) and every tombstone: what is
    /// left at or below the window's end is exactly each live key's newest version. Returns the rows deleted and
    /// the revision deleted through.
    /// </summary>
    private (long Rows, long Through) DeleteCompacted(SqlWriter w, long limit)
    {
        var from = Math.Max(Interlocked.Read(ref _compactedThrough), SqlCommands.ReadMeta(w.Db, "compacted_through", w.Transaction) ?? 0);
        var to = Math.Min(limit, from + _options.CompactWindow);
        if (to <= from)
        {
            return (0, from);
        }

        using var superseded = SqlCommands.Create(w.Db, w.Transaction, """
            DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id >= @lo AND id < @hi AND prev_revision != 0);
            DELETE FROM kv WHERE id >= @lo AND id < @hi AND deleted = 1;
            """).Bind("@lo", EventId.FirstOf(from + 1)).Bind("@hi", EventId.FirstOf(to + 1));
        long count = superseded.ExecuteNonQuery();
        SqlCommands.WriteMeta(w.Db, "compacted_through", to, w.Transaction);
        return (count, to);
    }

    [LoggerMessage(EventId = 340, Level = LogLevel.Information, Message = "Compacted history through revision {Revision}: {Rows} rows deleted")]
    private static partial void LogCompacted(ILogger logger, long revision, long rows);

    [LoggerMessage(EventId = 341, Level = LogLevel.Information, Message = "Automatic compaction to revision {Revision}")]
    private static partial void LogAutoCompacted(ILogger logger, long revision);

    [LoggerMessage(EventId = 342, Level = LogLevel.Warning, Message = "Compaction step failed, will retry: {Reason}")]
    private static partial void LogCompactFailed(ILogger logger, string reason);
}
