using System.Data.Common;
using System.Threading.Channels;

namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// The single writer with group commit: callers enqueue items, and the writer runs whatever has queued up (up to
/// <see cref="MaxBatch"/> items) in one transaction, so concurrent writers share one commit. Revisions are assigned
/// here, in commit order; <see cref="Committed"/> only moves after the commit is durable, and readers never read
/// past it. Any failure of the commit itself fails the whole batch and hands its revisions back. On a shared
/// database every batch first takes the writers' lock and reads the revision other servers reached, so writers of
/// several servers take turns and their revisions never collide; a batch the database refused for a retryable
/// reason (serialization failure, deadlock, a unique index) runs again. A lost connection fails the batch and is
/// replaced on the next one.
/// </summary>
internal sealed partial class SqlWriter : IAsyncDisposable
{
    public const int MaxBatch = 512;
    private const int MaxAttempts = 5;

    private readonly Channel<WriteItem> _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<WriteItem> _batch = [];
    private readonly List<Action> _undo = [];
    private readonly SqlDialect _dialect;
    private readonly Action<long> _onCommit;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private DbConnection? _db;
    private long _committed;

    public SqlWriter(SqlDialect dialect, DbConnection db, Lessor lessor, long revision, Action<long> onCommit, ILogger logger)
    {
        _dialect = dialect;
        _db = db;
        Lessor = lessor;
        Revision = revision;
        _committed = revision;
        _onCommit = onCommit;
        _logger = logger;
        Applier = new TxnApplier(this);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The writer's connection; only valid inside a running item.</summary>
    public DbConnection Db => _db ?? throw new InvalidOperationException("the writer has no connection");

    public SqlDialect Dialect => _dialect;

    public Lessor Lessor { get; }

    public TxnApplier Applier { get; }

    /// <summary>The open transaction of the running batch (null for items outside a transaction).</summary>
    public DbTransaction? Transaction { get; private set; }

    /// <summary>The writer's own view of the revision: committed plus what the running batch has applied so far.</summary>
    public long Revision { get; set; }

    /// <summary>The highest durable revision.</summary>
    public long Committed => Volatile.Read(ref _committed);

    /// <summary>Registers how to revert an in-memory change if the running item or batch rolls back.</summary>
    public void OnRollback(Action undo) => _undo.Add(undo);

    /// <summary>
    /// Whether a lease exists for a write that attaches a key to it: this server's lessor knows it, or, on a shared
    /// database, another server granted it (the lessor learns it here, with the database's expiry).
    /// </summary>
    public bool LeaseKnown(long id)
    {
        if (Lessor.Known(id))
        {
            return true;
        }

        if (!_dialect.Shared)
        {
            return false;
        }

        using var command = SqlCommands.Create(Db, Transaction, "SELECT ttl, expires_at FROM lease WHERE id = @id").Bind("@id", id);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return false;
        }

        Lessor.Add(id, reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
        OnRollback(() => Lessor.Remove(id));
        return true;
    }

    /// <summary>Raises <see cref="Committed"/> to a revision another server committed; true when it moved.</summary>
    public bool Observe(long revision)
    {
        var seen = Volatile.Read(ref _committed);
        while (revision > seen)
        {
            var before = Interlocked.CompareExchange(ref _committed, revision, seen);
            if (before == seen)
            {
                return true;
            }

            seen = before;
        }

        return false;
    }

    public Task<T> EnqueueAsync<T>(Func<SqlWriter, T> run, bool exclusive = false, bool outsideTransaction = false, bool needsSavepoint = true, bool serializable = false)
    {
        var item = new WriteItem<T>(run)
        {
            Exclusive = exclusive || outsideTransaction || serializable,
            OutsideTransaction = outsideTransaction,
            NeedsSavepoint = needsSavepoint,
            Serializable = serializable,
        };
        if (!_queue.Writer.TryWrite(item))
        {
            throw new StoreException(StoreError.Unavailable, "the datastore is shutting down");
        }

        return item.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        if (_db is not null)
        {
            await _db.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _batch.Clear();
            while (_batch.Count < MaxBatch && reader.TryPeek(out var next))
            {
                if (next.Exclusive && _batch.Count > 0)
                {
                    break;
                }

                reader.TryRead(out _);
                _batch.Add(next);
                if (next.Exclusive)
                {
                    break;
                }
            }

            if (!Connect())
            {
                continue;
            }

            if (_batch is [{ OutsideTransaction: true } alone])
            {
                RunAlone(alone);
            }
            else
            {
                RunBatch();
            }
        }
    }

    /// <summary>Opens a connection if the last one was lost; on failure fails the batch.</summary>
    private bool Connect()
    {
        if (_db is not null)
        {
            return true;
        }

        try
        {
            _db = _dialect.OpenWriter();
            LogReconnected(_logger, _dialect.Engine);
            return true;
        }
        catch (DbException e)
        {
            FailAll(_dialect.ToStore(e));
            return false;
        }
    }

    private void RunAlone(WriteItem item)
    {
        try
        {
            item.Run(this);
            item.Complete();
        }
        catch (StoreException e)
        {
            item.Fail(e);
        }
        catch (DbException e)
        {
            Lost(e);
            item.Fail(_dialect.ToStore(e));
        }
    }

    private void RunBatch()
    {
        for (var attempt = 1; ; attempt++)
        {
            var (failure, inCommit) = TryBatch();
            if (failure is null)
            {
                return;
            }

            var kind = _dialect.Classify(failure);
            if (kind == SqlFailure.Retry && attempt < MaxAttempts)
            {
                LogBatchRetried(_logger, _batch.Count, attempt, failure.Message);
                continue;
            }

            Lost(failure);
            var error = BatchError(_dialect, failure, inCommit);

            LogBatchFailed(_logger, _batch.Count, error.Message);
            FailAll(error);
            return;
        }
    }

    /// <summary>
    /// What the callers of a failed batch are told: the dialect's error, or an unknown outcome when the failure came
    /// while committing and the commit may still have been stored (<see cref="SqlDialect.CommitMayHaveLanded"/>).
    /// </summary>
    internal static StoreException BatchError(SqlDialect dialect, DbException failure, bool inCommit)
    {
        var error = dialect.ToStore(failure);
        if (!inCommit || !dialect.CommitMayHaveLanded(failure))
        {
            return error;
        }

        var what = dialect.Classify(failure) == SqlFailure.ConnectionLost
            ? $"the connection to {dialect.Engine} at {dialect.Description} was lost while committing"
            : $"{dialect.Engine} failed while committing to {dialect.Description} ({failure.Message})";
        return new StoreException(StoreError.Timeout, $"{what}; the writes may or may not have been stored", failure);
    }

    /// <summary>Runs the batch once; returns the database failure that rolled it back, if any.</summary>
    private (DbException? Failure, bool InCommit) TryBatch()
    {
        var start = Revision;
        var errors = new Exception?[_batch.Count];
        var batchUndo = new List<Action>();
        var inCommit = false;
        var serializable = _batch[0].Serializable;
        var began = false;
        try
        {
            using var transaction = _dialect.BeginWrite(Db, serializable);
            began = true;
            Transaction = transaction;
            _dialect.LockWriters(Db, transaction);
            if (_dialect.Shared)
            {
                // Other servers may have written since our last batch: continue from the database's revision.
                start = Revision = Math.Max(Revision, SqlCommands.ReadRevision(Db, transaction).Revision);
                if (Observe(start))
                {
                    _onCommit(start);
                }
            }

            for (var i = 0; i < _batch.Count; i++)
            {
                var before = Revision;
                var savepoint = _batch[i].NeedsSavepoint;
                _undo.Clear();
                if (savepoint)
                {
                    transaction.Save("item");
                }

                try
                {
                    _batch[i].Run(this);
                    if (savepoint)
                    {
                        transaction.Release("item");
                    }

                    batchUndo.AddRange(_undo);
                }
                catch (Exception e) when (e is not DbException)
                {
                    if (savepoint)
                    {
                        transaction.Rollback("item");
                        transaction.Release("item");
                    }

                    Undo(_undo);
                    Revision = before;
                    errors[i] = e;
                }
            }

            inCommit = true;
            transaction.Commit();
        }
        catch (DbException e)
        {
            Undo(batchUndo);
            Revision = start;
            return (e, inCommit);
        }
        finally
        {
            Transaction = null;
            if (began)
            {
                EndWrite(serializable);
            }
        }

        Observe(Revision);
        for (var i = 0; i < _batch.Count; i++)
        {
            if (errors[i] is { } error)
            {
                _batch[i].Fail(error);
            }
            else
            {
                _batch[i].Complete();
            }
        }

        if (Revision != start)
        {
            _onCommit(Revision);
        }

        return (null, false);
    }

    private void EndWrite(bool serializable)
    {
        try
        {
            _dialect.EndWrite(Db, serializable);
        }
        catch (DbException)
        {
            // The connection is gone; so is what it held.
        }
    }

    /// <summary>Drops the connection when the failure lost it; the next batch opens a new one.</summary>
    private void Lost(DbException e)
    {
        if (_dialect.Classify(e) != SqlFailure.ConnectionLost || _db is null)
        {
            return;
        }

        LogConnectionLost(_logger, _dialect.Engine, e.Message);
        _db.Dispose();
        _db = null;
        Applier.Reset();
        _dialect.ConnectionLost();
    }

    private void FailAll(Exception error)
    {
        foreach (var item in _batch)
        {
            item.Fail(error);
        }
    }

    private static void Undo(List<Action> undo)
    {
        for (var i = undo.Count - 1; i >= 0; i--)
        {
            undo[i]();
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "A batch of {Count} writes failed to commit and was rolled back: {Reason}")]
    private static partial void LogBatchFailed(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 4550, Level = LogLevel.Information, Message = "A batch of {Count} writes was refused (attempt {Attempt}) and runs again: {Reason}")]
    private static partial void LogBatchRetried(ILogger logger, int count, int attempt, string reason);

    [LoggerMessage(EventId = 4551, Level = LogLevel.Warning, Message = "Lost the writer's connection to {Engine}, a new one opens with the next write: {Reason}")]
    private static partial void LogConnectionLost(ILogger logger, string engine, string reason);

    [LoggerMessage(EventId = 4552, Level = LogLevel.Information, Message = "The writer is connected to {Engine} again")]
    private static partial void LogReconnected(ILogger logger, string engine);
}
