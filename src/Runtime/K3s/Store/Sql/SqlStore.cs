using System.Data.Common;
using K3sLab.K3s.Store.Watch;

namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// etcd's revisioned key-value model on a SQL database in kine's design (an append-only event log, one writer
/// with group commit, a poller feeding watchers, batched compaction), written once for every engine; the
/// <see cref="SqlDialect"/> supplies what differs. SQLite (one server, one file) and PostgreSQL (one or several
/// servers on one database) open it through their own factories.
/// </summary>
internal sealed partial class SqlStore : IRevisionedStore, IWatchHistory
{
    private readonly SqlStoreOptions _options;
    private readonly SqlDialect _dialect;
    private readonly SqlWriter _writer;
    private readonly WatchHub _hub;
    private readonly EventPoller _poller;
    private readonly Lessor _lessor;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _compactSignal = new(0);
    private readonly Task _leaseLoop;
    private readonly Task _compactLoop;
    private long _compactRevision;
    private long _compactedThrough;

    /// <summary>Starts the store on a database the dialect's factory has opened and checked; the writer keeps <paramref name="writerConnection"/>, the connection the factory checked the schema on.</summary>
    public SqlStore(SqlStoreOptions options, SqlDialect dialect, DbConnection writerConnection, StoreIdentity identity, ILogger logger)
    {
        _options = options;
        _dialect = dialect;
        _logger = logger;
        Identity = identity;
        _compactRevision = identity.CompactRevision;
        _compactedThrough = identity.CompactedThrough;
        _lessor = new Lessor(options.Time);
        LoadLeases(writerConnection);
        var revision = SqlCommands.ReadRevision(writerConnection, null).Revision;
        _hub = new WatchHub(this, revision, logger);
        _writer = new SqlWriter(dialect, writerConnection, _lessor, revision, OnCommit, logger);
        _writer.Applier.CompactRevision = () => CompactRevision;
        _poller = new EventPoller(dialect, dialect.Shared ? Refresh : null, _hub, () => _writer.Committed, options.Time, logger);
        _leaseLoop = Task.Run(LeaseLoopAsync);
        _compactLoop = Task.Run(CompactLoopAsync);
    }

    /// <summary>The member and cluster IDs the database was created with, and its compaction state at open.</summary>
    internal sealed record StoreIdentity(ulong MemberId, ulong ClusterId, long CompactRevision, long CompactedThrough);

    public StoreIdentity Identity { get; }

    /// <summary>Where the database is, for logs (a path, or an endpoint with its password redacted).</summary>
    public string Description => _dialect.Description;

    public long CurrentRevision => _writer.Committed;

    public long CompactRevision => Interlocked.Read(ref _compactRevision);

    /// <summary>Watchers currently registered.</summary>
    public int WatcherCount => _hub.WatcherCount;

    /// <summary>Reads the identity and compaction state a factory needs after creating or checking the schema.</summary>
    public static StoreIdentity ReadIdentity(DbConnection db) => new(
        (ulong)SqlCommands.ReadMeta(db, "member_id")!.Value,
        (ulong)SqlCommands.ReadMeta(db, "cluster_id")!.Value,
        SqlCommands.ReadMeta(db, "compact_revision") ?? 0,
        SqlCommands.ReadMeta(db, "compacted_through") ?? 0);

    /// <summary>Writes the bookkeeping of a new database: layout version and fresh member and cluster IDs.</summary>
    public static void InitializeMeta(DbConnection db, long schemaVersion, DbTransaction? tx = null)
    {
        SqlCommands.WriteMeta(db, "schema_version", schemaVersion, tx);
        SqlCommands.WriteMeta(db, "member_id", RandomIds.Next(), tx);
        SqlCommands.WriteMeta(db, "cluster_id", RandomIds.Next(), tx);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _compactSignal.Release();
        await _leaseLoop.ConfigureAwait(false);
        await _compactLoop.ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _poller.DisposeAsync().ConfigureAwait(false);
        await _hub.DisposeAsync().ConfigureAwait(false);
        await _dialect.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _compactSignal.Dispose();
    }

    public Task<TxnResult> TxnAsync(TxnRequest txn, CancellationToken cancellationToken)
    {
        TxnValidation.Validate(txn);

        // A branch of at most one put or range fails, if at all, before it writes: no savepoint needed.
        var single = txn.Success.Count <= 1 && txn.Failure.Count <= 1 && txn.Success.Concat(txn.Failure).All(op => op is PutOp or RangeOp);
        return _writer.EnqueueAsync(w => w.Applier.Apply(txn), needsSavepoint: !single);
    }

    public IStoreWatch Watch(WatchRequest request)
    {
        TxnValidation.ValidateRange(new RangeQuery(request.Range));
        return _hub.Add(request, request.StartRevision == 0 ? CurrentRevision + 1 : request.StartRevision);
    }

    private void OnCommit(long revision) => _poller.Wake();

    /// <summary>On a shared database: learns the revision and the compaction other servers reached.</summary>
    private void Refresh(DbConnection db) => Refresh(db, null);

    /// <summary>Reads the database's revision and compacted revision, raises this server's, and returns the database's revision.</summary>
    private long Refresh(DbConnection db, DbTransaction? tx)
    {
        var (revision, compact) = SqlCommands.ReadRevision(db, tx);
        if (_writer.Observe(revision))
        {
            _poller.Wake();
        }

        RaiseCompactRevision(compact);
        return revision;
    }

    private void RaiseCompactRevision(long revision)
    {
        var seen = Interlocked.Read(ref _compactRevision);
        while (revision > seen)
        {
            var before = Interlocked.CompareExchange(ref _compactRevision, revision, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }
}
