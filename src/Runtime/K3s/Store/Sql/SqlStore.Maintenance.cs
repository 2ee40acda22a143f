using System.Data.Common;
using System.Numerics;

namespace K3sLab.K3s.Store.Sql;

internal sealed partial class SqlStore
{
    public Task<StoreStatus> StatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var db = _dialect.OpenReader();
            var (size, inUse) = _dialect.Sizes(db);
            return Task.FromResult(new StoreStatus(CurrentRevision, CompactRevision, size, inUse, Identity.MemberId, Identity.ClusterId, "default"));
        }
        catch (DbException e)
        {
            throw _dialect.ToStore(e);
        }
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
        try
        {
            using var db = _dialect.OpenReader();
            using var tx = _dialect.BeginRead(db);
            using var command = SqlCommands.Create(db, tx, "SELECT id, name, deleted, value FROM kv WHERE id < @bound ORDER BY id").Bind("@bound", EventId.FirstOf(at + 1));
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
        catch (DbException e)
        {
            throw _dialect.ToStore(e);
        }
    }

    /// <summary>A consistent copy of the whole database, as the engine makes one.</summary>
    public Task SnapshotAsync(Stream destination, CancellationToken cancellationToken) => _dialect.SnapshotAsync(destination, cancellationToken);

    /// <summary>Returns free space to the file system (VACUUM, which both engines spell alike; outside any transaction).</summary>
    public Task DefragmentAsync(CancellationToken cancellationToken) =>
        _writer.EnqueueAsync(
            w =>
            {
                SqlCommands.Execute(w.Db, "VACUUM");
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
