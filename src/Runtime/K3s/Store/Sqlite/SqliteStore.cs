using Microsoft.Data.Sqlite;
using K3sLab.K3s.Store.Watch;

namespace K3sLab.K3s.Store.Sqlite;

/// <summary>
/// The default single-server datastore: etcd's revisioned key-value model on one SQLite file in kine's design
/// (an append-only event log, one writer with group commit, a poller feeding watchers, batched compaction).
/// </summary>
internal sealed partial class SqliteStore : IRevisionedStore, IWatchHistory
{
    private readonly SqliteStoreOptions _options;
    private readonly string _readConnection;
    private readonly SqliteConnection _writerConnection;
    private readonly SqliteWriter _writer;
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

    private SqliteStore(SqliteStoreOptions options, SqliteConnection writerConnection, string readConnection, StoreIdentity identity, long revision, ILogger logger)
    {
        _options = options;
        _writerConnection = writerConnection;
        _readConnection = readConnection;
        _logger = logger;
        Identity = identity;
        _compactRevision = identity.CompactRevision;
        _compactedThrough = identity.CompactedThrough;
        _lessor = new Lessor(options.Time);
        LoadLeases();
        _hub = new WatchHub(this, revision, logger);
        _writer = new SqliteWriter(writerConnection, _lessor, revision, OnCommit, logger);
        _writer.Applier.CompactRevision = () => CompactRevision;
        _poller = new EventPoller(readConnection, _hub, () => _writer.Committed, options.Time, logger);
        _leaseLoop = Task.Run(LeaseLoopAsync);
        _compactLoop = Task.Run(CompactLoopAsync);
    }

    /// <summary>The member and cluster IDs this file was created with, and its compaction state at open.</summary>
    internal sealed record StoreIdentity(ulong MemberId, ulong ClusterId, long CompactRevision, long CompactedThrough);

    public StoreIdentity Identity { get; }

    public long CurrentRevision => _writer.Committed;

    public long CompactRevision => Interlocked.Read(ref _compactRevision);

    /// <summary>Watchers currently registered.</summary>
    public int WatcherCount => _hub.WatcherCount;

    /// <summary>Opens (creating if needed) the store at <see cref="SqliteStoreOptions.Path"/>; failures are one sentence.</summary>
    public static SqliteStore Open(SqliteStoreOptions options, ILogger logger)
    {
        SqliteFile.Check(options.Path);
        var builder = new SqliteConnectionStringBuilder { DataSource = options.Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 };
        var readBuilder = new SqliteConnectionStringBuilder { DataSource = options.Path, Mode = SqliteOpenMode.ReadWrite, Pooling = true, DefaultTimeout = 30 };
        var db = new SqliteConnection(builder.ToString());
        try
        {
            db.Open();
            SqliteSchema.Execute(db, SqliteSchema.Pragmas);
            if (Exists(db, "kine"))
            {
                throw new StoreException(StoreError.Unavailable, $"{options.Path} holds a kine database, which this store does not read; point the endpoint at a new file");
            }

            SqliteSchema.Execute(db, SqliteSchema.Create);
            var version = SqliteSchema.ReadMeta(db, "schema_version");
            if (version is null)
            {
                SqliteSchema.WriteMeta(db, "schema_version", SqliteSchema.Version);
                SqliteSchema.WriteMeta(db, "member_id", RandomId());
                SqliteSchema.WriteMeta(db, "cluster_id", RandomId());
            }
            else if (version != SqliteSchema.Version)
            {
                throw new StoreException(StoreError.Unavailable, $"{options.Path} has datastore layout {version}, this build reads layout {SqliteSchema.Version}");
            }

            var identity = new StoreIdentity(
                (ulong)SqliteSchema.ReadMeta(db, "member_id")!.Value,
                (ulong)SqliteSchema.ReadMeta(db, "cluster_id")!.Value,
                SqliteSchema.ReadMeta(db, "compact_revision") ?? 0,
                SqliteSchema.ReadMeta(db, "compacted_through") ?? 0);
            using var max = db.CreateCommand();
            max.CommandText = "SELECT COALESCE(MAX(id), 0) FROM kv";
            // An empty etcd is at revision 1 and its first write makes revision 2; so is this store.
            var revision = Math.Max(Math.Max(EventId.RevisionOf((long)max.ExecuteScalar()!), identity.CompactRevision), 1);
            return new SqliteStore(options, db, readBuilder.ToString(), identity, revision, logger);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            var error = SqliteErrors.ToStore(e);
            throw new StoreException(error.Error, $"cannot open the datastore {options.Path}: {error.Message}", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
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
        await _writerConnection.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearAllPools();
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

    private SqliteConnection OpenReader()
    {
        var db = new SqliteConnection(_readConnection);
        db.Open();
        SqliteSchema.Execute(db, SqliteSchema.ReaderPragmas);
        return db;
    }

    private void OnCommit(long revision) => _poller.Wake();

    private static bool Exists(SqliteConnection db, string table)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static long RandomId() => RandomIds.Next();
}
