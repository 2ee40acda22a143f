using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql;
using K3sLab.K3s.Store.Sql.Postgres;
using K3sLab.K3s.Store.Sql.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace K3sLab.Lab.Tests.Datastore;

/// <summary>
/// What the callers of a failed write batch are told: "not stored" only when that is certain. A failure while
/// committing that may have reached the disk (SQLite's I/O error) or the server (a lost PostgreSQL connection) is an
/// unknown outcome, etcd's "request timed out".
/// </summary>
[Trait("Category", "Unit")]
public sealed class SqlBatchErrorTests
{
    private static readonly SqliteDialect Sqlite = new("/var/lib/rancher/k3s/server/db/state.db");

    [Theory]
    [InlineData(10 | (4 << 8), true)] // SQLITE_IOERR_FSYNC
    [InlineData(10 | (3 << 8), true)] // SQLITE_IOERR_WRITE
    [InlineData(10, false)]
    public void Sqlite_IoErrorWhileCommitting_UnknownOutcome_ElsewhereNotStored(int extendedCode, bool inCommit)
    {
        var error = SqlWriter.BatchError(Sqlite, new SqliteException("disk I/O error", 10, extendedCode), inCommit);

        if (inCommit)
        {
            error.Error.Should().Be(StoreError.Timeout);
            error.Message.Should().Contain("SQLite failed while committing to /var/lib/rancher/k3s/server/db/state.db (disk I/O error)").And.Contain("may or may not have been stored").And.NotContain("nothing from");
        }
        else
        {
            error.Error.Should().Be(StoreError.Unavailable);
            error.Message.Should().Contain("nothing from the failed writes was stored");
        }
    }

    [Fact]
    public void Sqlite_FullDiskWhileCommitting_NotStored()
    {
        // SQLITE_FULL: a write of the commit failed, so its commit frame is not in the WAL and recovery skips it.
        var error = SqlWriter.BatchError(Sqlite, new SqliteException("database or disk is full", 13, 13), inCommit: true);

        error.Error.Should().Be(StoreError.NoSpace);
        error.Message.Should().Contain("nothing from the failed writes was stored");
    }

    [Fact]
    public async Task Postgres_ConnectionLostWhileCommitting_UnknownOutcome_BeforeItNotStored()
    {
        await using var postgres = new PostgresDialect(PostgresEndpoint.Parse("postgres://k3s:secret@db:5432/k3s"));
        var lost = new NpgsqlException("Exception while reading from stream");

        var committing = SqlWriter.BatchError(postgres, lost, inCommit: true);
        committing.Error.Should().Be(StoreError.Timeout);
        committing.Message.Should().Contain("the connection to PostgreSQL at postgres://k3s:***@db:5432/k3s was lost while committing; the writes may or may not have been stored").And.NotContain("secret");

        var before = SqlWriter.BatchError(postgres, lost, inCommit: false);
        before.Error.Should().Be(StoreError.Unavailable);
        before.Message.Should().Contain("nothing from the failed writes was stored");
    }
}
