using System.Numerics;
using Microsoft.Data.Sqlite;

namespace K3sLab.K3s.Store.Sqlite;

internal sealed partial class SqliteStore
{
    public Task<StoreStatus> StatusAsync(CancellationToken cancellationToken)
    {
        using var db = OpenReader();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT page_count * page_size, (page_count - freelist_count) * page_size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()";
        using var reader = command.ExecuteReader();
        reader.Read();
        var wal = new FileInfo(_options.Path + "-wal");
        var size = new FileInfo(_options.Path).Length + (wal.Exists ? wal.Length : 0);
        return Task.FromResult(new StoreStatus(CurrentRevision, CompactRevision, size, reader.GetInt64(1), Identity.MemberId, Identity.ClusterId, "default"));
    }

    /// <summary>
    /// A CRC-32C over every stored change up to the revision (packed revision, key, tombstone flag, value): equal on
    /// two copies that hold the same history. Not etcd's byte-for-byte hash, whose input is bbolt's encoding.
    /// </summary>
    public Task<StoreHash> HashKvAsync(long revision, CancellationToken cancellationToken)
    {
        var current = CurrentRevision;
        var at = revision > 0 ? revision : current;
        ReadChecks.Check(at, current, CompactRevision);
        using var db = OpenReader();
        using var tx = db.BeginTransaction(deferred: true);
        using var command = db.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT id, name, deleted, value FROM kv WHERE id < $bound ORDER BY id";
        command.Parameters.AddWithValue("$bound", EventId.FirstOf(at + 1));
        using var reader = command.ExecuteReader();
        var crc = uint.MaxValue;
        while (reader.Read())
        {
            crc = BitOperations.Crc32C(crc, (ulong)reader.GetInt64(0));
            crc = Bytes(crc, (byte[])reader.GetValue(1));
            crc = BitOperations.Crc32C(crc, (byte)reader.GetInt64(2));
            crc = Bytes(crc, (byte[])reader.GetValue(3));
        }

        return Task.FromResult(new StoreHash(~crc, at, CompactRevision));
    }

    /// <summary>A consistent copy of the whole database (SQLite's VACUUM INTO, taken inside one read snapshot).</summary>
    public async Task SnapshotAsync(Stream destination, CancellationToken cancellationToken)
    {
        var copy = Path.Combine(Path.GetDirectoryName(_options.Path)!, $".snapshot-{Guid.NewGuid():N}.db");
        try
        {
            using (var db = OpenReader())
            using (var command = db.CreateCommand())
            {
                command.CommandText = "VACUUM INTO $path";
                command.Parameters.AddWithValue("$path", copy);
                command.ExecuteNonQuery();
            }

            await using var file = File.OpenRead(copy);
            await file.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            throw SqliteErrors.ToStore(e);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    public Task DefragmentAsync(CancellationToken cancellationToken) =>
        _writer.EnqueueAsync(
            w =>
            {
                using var command = w.Db.CreateCommand();
                command.CommandText = "VACUUM";
                command.ExecuteNonQuery();
                return true;
            },
            outsideTransaction: true);

    private static uint Bytes(uint crc, byte[] bytes)
    {
        foreach (var b in bytes)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
