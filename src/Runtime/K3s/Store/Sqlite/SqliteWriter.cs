using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace K3sLab.K3s.Store.Sqlite;

/// <summary>
/// The single writer with group commit: callers enqueue items, and the writer runs whatever has queued up (up to
/// <see cref="MaxBatch"/> items) in one SQLite transaction, so concurrent writers share one fsync. Revisions are
/// assigned here, in commit order; <see cref="Committed"/> only moves after the commit is durable, and readers
/// never read past it. Any failure of the commit itself fails the whole batch and hands its revisions back.
/// </summary>
internal sealed partial class SqliteWriter : IAsyncDisposable
{
    public const int MaxBatch = 512;

    private readonly Channel<WriteItem> _queue = Channel.CreateUnbounded<WriteItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<WriteItem> _batch = [];
    private readonly List<Action> _undo = [];
    private readonly Action<long> _onCommit;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _committed;

    public SqliteWriter(SqliteConnection db, Lessor lessor, long revision, Action<long> onCommit, ILogger logger)
    {
        Db = db;
        Lessor = lessor;
        Revision = revision;
        _committed = revision;
        _onCommit = onCommit;
        _logger = logger;
        Applier = new TxnApplier(this);
        _loop = Task.Run(RunAsync);
    }

    public SqliteConnection Db { get; }

    public Lessor Lessor { get; }

    public TxnApplier Applier { get; }

    /// <summary>The open transaction of the running batch (null for items outside a transaction).</summary>
    public SqliteTransaction? Transaction { get; private set; }

    /// <summary>The writer's own view of the revision: committed plus what the running batch has applied so far.</summary>
    public long Revision { get; set; }

    /// <summary>The highest durable revision.</summary>
    public long Committed => Volatile.Read(ref _committed);

    /// <summary>Registers how to revert an in-memory change if the running item or batch rolls back.</summary>
    public void OnRollback(Action undo) => _undo.Add(undo);

    public Task<T> EnqueueAsync<T>(Func<SqliteWriter, T> run, bool exclusive = false, bool outsideTransaction = false, bool needsSavepoint = true)
    {
        var item = new WriteItem<T>(run) { Exclusive = exclusive || outsideTransaction, OutsideTransaction = outsideTransaction, NeedsSavepoint = needsSavepoint };
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

    private void RunAlone(WriteItem item)
    {
        try
        {
            item.Run(this);
            item.Complete();
        }
        catch (Exception e) when (e is StoreException or SqliteException)
        {
            item.Fail(e is SqliteException s ? SqliteErrors.ToStore(s) : e);
        }
    }

    private void RunBatch()
    {
        var start = Revision;
        var failed = new bool[_batch.Count];
        var batchUndo = new List<Action>();
        try
        {
            using var transaction = Db.BeginTransaction();
            Transaction = transaction;
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
                catch (Exception e) when (e is not SqliteException)
                {
                    if (savepoint)
                    {
                        transaction.Rollback("item");
                        transaction.Release("item");
                    }

                    Undo(_undo);
                    Revision = before;
                    failed[i] = true;
                    _batch[i].Fail(e);
                }
            }

            transaction.Commit();
        }
        catch (SqliteException e)
        {
            Undo(batchUndo);
            Revision = start;
            var error = SqliteErrors.ToStore(e);
            LogBatchFailed(_logger, _batch.Count, error.Message);
            foreach (var item in _batch)
            {
                item.Fail(error);
            }

            return;
        }
        finally
        {
            Transaction = null;
        }

        Volatile.Write(ref _committed, Revision);
        for (var i = 0; i < _batch.Count; i++)
        {
            if (!failed[i])
            {
                _batch[i].Complete();
            }
        }

        if (Revision != start)
        {
            _onCommit(Revision);
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
}
