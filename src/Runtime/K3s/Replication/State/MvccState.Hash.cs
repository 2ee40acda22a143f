using System.Numerics;
using K3sLab.K3s.Store;
using EventId = K3sLab.K3s.Store.Sql.EventId;

namespace K3sLab.K3s.Replication.State;

internal sealed partial class MvccState
{
    /// <summary>
    /// etcd HashKV: a CRC-32C over every held change up to <paramref name="revision"/> (0: the current one), in
    /// revision order, of the packed revision (<see cref="EventId"/>), the key, the tombstone flag and the value:
    /// exactly the SQLite store's hash for the same history once its background compaction has caught up, so members
    /// can be compared with each other and with a SQLite copy. Throws <see cref="StoreException"/> for a revision
    /// that is compacted or in the future.
    /// </summary>
    public StoreHash HashKv(long revision)
    {
        var at = revision > 0 ? revision : Revision;
        ReadChecks.Check(at, Revision, CompactRevision);
        var crc = uint.MaxValue;
        foreach (var v in _log)
        {
            if (v.ModRevision > at)
            {
                break;
            }

            crc = BitOperations.Crc32C(crc, (ulong)EventId.Of(v.ModRevision, v.Sub));
            crc = Crc32C.Append(crc, v.Key);
            crc = BitOperations.Crc32C(crc, v.IsTombstone ? (byte)1 : (byte)0);
            crc = Crc32C.Append(crc, v.Value);
        }

        return new StoreHash(~crc, at, CompactRevision);
    }
}
