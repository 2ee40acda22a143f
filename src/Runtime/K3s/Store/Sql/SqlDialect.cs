using System.Data.Common;

namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// What one SQL engine does differently under the shared store: how connections open and transactions begin,
/// how concurrent writers are kept in order, which errors mean retry, lost connection or a plain failure, and the
/// few statements that have no common spelling. Everything else (the event log, the writer, the poller, reads,
/// transactions, compaction, leases) is <see cref="SqlStore"/>'s and written once.
/// </summary>
internal abstract class SqlDialect : IAsyncDisposable
{
    /// <summary>The engine's name for messages ("SQLite", "PostgreSQL").</summary>
    public abstract string Engine { get; }

    /// <summary>Where the database is, for messages and logs, without secrets.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// True when other servers may write to the same database: the writer then takes the writers' lock and reads
    /// the revision from the database in every transaction, and the poller looks for others' commits.
    /// </summary>
    public abstract bool Shared { get; }

    /// <summary>How often the poller looks for commits it was not woken for.</summary>
    public abstract TimeSpan PollInterval { get; }

    /// <summary>A new connection for the writer, configured; after the first one was lost.</summary>
    public abstract DbConnection OpenWriter();

    /// <summary>A connection for a read or the poller, configured (pooled where the engine pools).</summary>
    public abstract DbConnection OpenReader();

    /// <summary>A read-only snapshot: every statement in it sees the same committed state.</summary>
    public abstract DbTransaction BeginRead(DbConnection db);

    /// <summary>A write transaction; <paramref name="serializable"/> for compaction, which must not interleave with anything.</summary>
    public abstract DbTransaction BeginWrite(DbConnection db, bool serializable);

    /// <summary>Called first in every write transaction: on a shared database, waits for the writers' lock, held until commit.</summary>
    public abstract void LockWriters(DbConnection db, DbTransaction tx);

    /// <summary>Called after every write transaction ended, committed or not, on a connection still open: releases what <see cref="BeginWrite"/> took.</summary>
    public virtual void EndWrite(DbConnection db, bool serializable)
    {
    }

    /// <summary>What a failure means for the writer and for the caller.</summary>
    public abstract SqlFailure Classify(DbException e);

    /// <summary>
    /// Whether a commit that failed with <paramref name="e"/> may still have been stored. Its callers then get an unknown
    /// outcome (etcd's "request timed out"), not a failure: a client that took it for "not stored" could act on a write
    /// that a restart brings back. By default a connection lost while committing.
    /// </summary>
    public virtual bool CommitMayHaveLanded(DbException e) => Classify(e) == SqlFailure.ConnectionLost;

    /// <summary>The failure as the store's typed error, one sentence that says what to do.</summary>
    public abstract StoreException ToStore(DbException e);

    /// <summary>Forgets pooled connections after one was lost (the server restarted: the others are dead too).</summary>
    public abstract void ConnectionLost();

    /// <summary>The database's size on disk and the part of it in use, in bytes.</summary>
    public abstract (long Size, long InUse) Sizes(DbConnection db);

    /// <summary>Writes a consistent copy of the whole database.</summary>
    public abstract Task SnapshotAsync(Stream destination, CancellationToken cancellationToken);

    /// <summary>Whether the store should run <see cref="Checkpoint"/> now (after <paramref name="deletedRows"/> rows were compacted away).</summary>
    public virtual bool WantsCheckpoint(long deletedRows) => false;

    /// <summary>Engine housekeeping outside any transaction after compaction (SQLite: truncate the WAL).</summary>
    public virtual bool Checkpoint(DbConnection db) => true;

    /// <summary>The statement that records a new lease (<c>@id</c>, <c>@ttl</c>, and <c>@expires</c> when <see cref="Shared"/>).</summary>
    public virtual string InsertLeaseSql => "INSERT INTO lease (id, ttl) VALUES (@id, @ttl)";

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>How the writer and the readers treat a database failure.</summary>
internal enum SqlFailure
{
    /// <summary>Nothing was written and running the transaction again may succeed (serialization failure, deadlock, a unique index another writer won).</summary>
    Retry,

    /// <summary>The connection is gone (server restarted, network): drop it and open a new one; an in-flight commit's outcome is unknown.</summary>
    ConnectionLost,

    /// <summary>Anything else: fail the request with the dialect's message.</summary>
    Fatal,
}
