using System.Buffers.Binary;
using K3sLab.Raft;

namespace K3sLab.Scenarios.Simulation;

/// <summary>The WAL holds a record the recovery cannot explain: a checksum failure with valid data after it.</summary>
internal sealed class WalCorruptionException(string message) : Exception(message);

/// <summary>What recovery found on the disk.</summary>
/// <param name="HardState">The last complete hard state record (default when none).</param>
/// <param name="Snapshot">The snapshot the WAL's last snapshot record names, loaded from its file; null when none.</param>
/// <param name="Log">The entries after the snapshot, after applying every overwrite in order.</param>
/// <param name="DroppedTailBytes">Bytes of a torn last record that recovery discarded.</param>
internal sealed record WalRecovery(HardState HardState, Snapshot? Snapshot, IReadOnlyList<Entry> Log, int DroppedTailBytes);

/// <summary>
/// A member's disk holding one write-ahead log: an append-only byte file of records
/// <c>[length u32][crc32 u32][type u8][payload]</c> (an entry's payload is <c>[index u64][term u64][entry type u8][data]</c>), and the snapshot files (<see cref="Snapshots"/>). A snapshot record
/// <c>[index u64][term u64][replaces-log u8]</c> names the snapshot file to load on restart: one received from the
/// leader replaces every entry before it in the WAL, one made by compaction keeps the entries after its index. Bytes up to <see cref="SyncedLength"/> are durable; bytes after
/// it sit in the page cache. A process crash keeps the page cache; a power loss drops it, except that (seeded) a
/// prefix of the unsynced tail may have reached the platter, possibly with its last record garbled: a torn write.
/// Recovery reads records in order and drops an incomplete or checksum-failing last record, as a real WAL must; a
/// checksum failure followed by more data cannot come from a torn write and is reported as corruption.
/// Single-threaded.
/// </summary>
internal sealed class SimulatedDisk
{
    private const byte HardStateRecord = 1;
    private const byte EntryRecord = 2;
    private const byte SnapshotRecord = 3;
    private const int HeaderSize = 9;

    private byte[] _bytes = new byte[4096];
    private int _length;

    /// <summary>The snapshot directory; its files have their own fsync.</summary>
    public SnapshotFiles Snapshots { get; } = new();

    /// <summary>Bytes written (durable or not).</summary>
    public int Length => _length;

    /// <summary>Bytes known durable.</summary>
    public int SyncedLength { get; private set; }

    /// <summary>True when some written bytes are not durable yet.</summary>
    public bool HasUnsynced => _length > SyncedLength;

    /// <summary>Appends entries, then the hard state (the Ready contract's order), without syncing.</summary>
    public void Write(HardState? hardState, IReadOnlyList<Entry> entries)
    {
        foreach (var e in entries)
        {
            var payload = Reserve(EntryRecord, 17 + e.Data.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(payload, e.Index);
            BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], e.Term);
            payload[16] = (byte)e.Type;
            e.Data.CopyTo(payload[17..]);
            Seal(payload.Length);
        }
        if (hardState is { } hs)
        {
            var payload = Reserve(HardStateRecord, 24);
            BinaryPrimitives.WriteUInt64LittleEndian(payload, hs.Term);
            BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], hs.Vote);
            BinaryPrimitives.WriteUInt64LittleEndian(payload[16..], hs.Commit);
            Seal(payload.Length);
        }
    }

    /// <summary>
    /// Appends a snapshot record (not synced). <paramref name="replacesLog"/>: the snapshot came from the leader and
    /// every stored entry is dropped; otherwise (compaction) entries after its index stay.
    /// </summary>
    public void WriteSnapshotRecord(Snapshot snapshot, bool replacesLog)
    {
        var payload = Reserve(SnapshotRecord, 17);
        BinaryPrimitives.WriteUInt64LittleEndian(payload, snapshot.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], snapshot.Term);
        payload[16] = replacesLog ? (byte)1 : (byte)0;
        Seal(payload.Length);
    }

    /// <summary>fsync: everything written so far is durable.</summary>
    public void Sync() => SyncedLength = _length;

    /// <summary>
    /// Power loss: the unsynced tail is lost, except that with <paramref name="tornChance"/> a random prefix of it
    /// survives (its last record possibly garbled). Returns the number of unsynced bytes kept.
    /// </summary>
    public int PowerLoss(Random random, double tornChance)
    {
        var unsynced = _length - SyncedLength;
        if (unsynced == 0 || random.NextDouble() >= tornChance)
        {
            Snapshots.PowerLoss();
            _length = SyncedLength;
            return 0;
        }
        Snapshots.PowerLoss();
        var keep = random.Next(unsynced + 1);
        _length = SyncedLength + keep;
        if (keep > HeaderSize && random.Next(2) == 0)
        {
            // The last sector of the write reached the disk garbled; only bytes after the last kept header change.
            var lastHeader = LastRecordStart(SyncedLength);
            var from = Math.Max(lastHeader + HeaderSize, SyncedLength);
            if (from < _length)
            {
                _bytes[from + random.Next(_length - from)] ^= (byte)(1 + random.Next(255));
            }
        }
        SyncedLength = _length;
        return keep;
    }

    /// <summary>Planted corruption: flips a payload byte of a durable record that has another record after it.</summary>
    public void CorruptSynced(Random random)
    {
        var starts = new List<int>();
        for (var pos = 0; pos + HeaderSize <= SyncedLength;)
        {
            starts.Add(pos);
            pos += HeaderSize + (int)BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(pos));
        }
        if (starts.Count < 2)
        {
            return;
        }
        var start = starts[random.Next(starts.Count - 1)];
        var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(start));
        _bytes[start + HeaderSize + random.Next(size)] ^= 0x5A;
    }

    /// <summary>
    /// Reads the log back, truncating a torn last record (the file is repaired to its valid prefix, as etcd's WAL
    /// repair does). Throws <see cref="WalCorruptionException"/> on corruption that a torn write cannot explain.
    /// </summary>
    public WalRecovery Recover()
    {
        var hardState = default(HardState);
        var log = new List<Entry>();
        ulong offset = 0, offsetTerm = 0;
        var named = false;
        var pos = 0;
        while (pos < _length)
        {
            if (_length - pos < HeaderSize)
            {
                break; // torn header
            }
            var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(pos));
            if (size > _length - pos - HeaderSize)
            {
                break; // torn payload
            }
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(pos + 4));
            var body = _bytes.AsSpan(pos + 8, 1 + size);
            var end = pos + HeaderSize + size;
            if (Crc32.Compute(body) != crc)
            {
                if (end < _length)
                {
                    throw new WalCorruptionException($"WAL record at byte {pos} fails its checksum with {_length - end} valid-looking bytes after it");
                }
                break; // garbled last record
            }
            var payload = body[1..];
            if (body[0] == HardStateRecord)
            {
                hardState = new HardState(
                    BinaryPrimitives.ReadUInt64LittleEndian(payload),
                    BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]));
            }
            else if (body[0] == SnapshotRecord)
            {
                var index = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                var term = BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]);
                if (payload[16] == 1 || index >= offset + (ulong)log.Count)
                {
                    log.Clear();
                }
                else if (index > offset)
                {
                    log.RemoveRange(0, (int)(index - offset));
                }
                (offset, offsetTerm, named) = (index, term, true);
            }
            else
            {
                var index = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                var last = offset + (ulong)log.Count;
                if (index <= offset || index > last + 1)
                {
                    throw new WalCorruptionException($"WAL entry {index} does not follow the log ({offset + 1}..{last})");
                }
                var at = (int)(index - offset - 1);
                log.RemoveRange(at, log.Count - at);
                log.Add(new Entry(index, BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]), payload[17..].ToArray()) { Type = (EntryType)payload[16] });
            }
            pos = end;
        }
        var dropped = _length - pos;
        _length = pos;
        SyncedLength = Math.Min(SyncedLength, pos);
        Snapshot? snapshot = null;
        if (named)
        {
            // The file is synced before its WAL record is written, so a record without its file is a host bug.
            snapshot = Snapshots.Find(offset, offsetTerm)
                ?? throw new WalCorruptionException($"the WAL names snapshot {offset}@t{offsetTerm} but its file is missing");
        }
        return new WalRecovery(hardState, snapshot, log, dropped);
    }

    private Span<byte> Reserve(byte type, int payloadSize)
    {
        var need = _length + HeaderSize + payloadSize;
        if (need > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(need, _bytes.Length * 2));
        }
        BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(_length), (uint)payloadSize);
        _bytes[_length + 8] = type;
        return _bytes.AsSpan(_length + HeaderSize, payloadSize);
    }

    private void Seal(int payloadSize)
    {
        var crc = Crc32.Compute(_bytes.AsSpan(_length + 8, 1 + payloadSize));
        BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(_length + 4), crc);
        _length += HeaderSize + payloadSize;
    }

    private int LastRecordStart(int from)
    {
        var pos = from;
        var last = from;
        while (pos < _length)
        {
            last = pos;
            if (pos + HeaderSize > _length)
            {
                break;
            }
            pos += HeaderSize + (int)BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(pos));
        }
        return last;
    }
}
