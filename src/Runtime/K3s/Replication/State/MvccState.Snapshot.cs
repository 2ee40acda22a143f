using System.Text;

namespace K3sLab.K3s.Replication.State;

internal sealed partial class MvccState
{
    /// <summary>The first bytes of a snapshot.</summary>
    private static ReadOnlySpan<byte> SnapshotMagic => "K3SMVCC\n"u8;

    /// <summary>The first bytes of a snapshot, for <see cref="MvccSnapshotView"/>.</summary>
    internal static byte[] SnapshotMagicBytes { get; } = SnapshotMagic.ToArray();

    /// <summary>The snapshot layout this build writes and reads.</summary>
    public const int SnapshotVersion = 1;

    /// <summary>
    /// Freezes what a snapshot of the current state holds (see <see cref="MvccSnapshotView"/>): a copy of the
    /// lease table and of the revision log's references, so the bytes can be written later on another thread.
    /// </summary>
    public MvccSnapshotView CaptureSnapshot()
    {
        var leases = _leases.Select(kv => (kv.Key, kv.Value.Ttl)).OrderBy(l => l.Key).ToArray();
        return new MvccSnapshotView(Revision, CompactRevision, leases, [.. _log]);
    }

    /// <summary>Writes the whole state now (<see cref="MvccSnapshotView.WriteTo"/> of a fresh capture); the stream is left open.</summary>
    public void WriteSnapshot(Stream destination) => CaptureSnapshot().WriteTo(destination);

    /// <summary>
    /// Reads what <see cref="WriteSnapshot"/> wrote. A wrong magic, another layout version, a truncated stream or a
    /// CRC mismatch is an <see cref="InvalidDataException"/>, and no state is returned before the CRC is checked. It
    /// reads ahead in buffers, so the snapshot should end its stream.
    /// </summary>
    public static MvccState ReadSnapshot(Stream source, MvccStateOptions? options = null)
    {
        var crc = new Crc32CStream(new BufferedStream(source, 1 << 16));
        using var r = new BinaryReader(crc, Encoding.UTF8, leaveOpen: true);
        try
        {
            Span<byte> magic = stackalloc byte[8];
            r.BaseStream.ReadExactly(magic);
            if (!magic.SequenceEqual(SnapshotMagic))
            {
                throw new InvalidDataException("the stream is not a store state snapshot");
            }

            var version = r.ReadInt32();
            if (version != SnapshotVersion)
            {
                throw new InvalidDataException($"store snapshot layout {version} is not readable by this build (layout {SnapshotVersion})");
            }

            var state = new MvccState(options)
            {
                Revision = r.ReadInt64(),
                CompactRevision = r.ReadInt64(),
            };
            var leases = r.ReadInt32();
            for (var i = 0; i < leases; i++)
            {
                var id = r.ReadInt64();
                if (!state._leases.TryAdd(id, new LeaseRecord(r.ReadInt64())))
                {
                    throw new InvalidDataException("the store snapshot is corrupt: a lease appears twice");
                }
            }

            var count = r.ReadInt64();
            for (var i = 0L; i < count; i++)
            {
                state.Load(r);
            }

            var computed = crc.Crc;
            var stored = r.ReadUInt32();
            if (stored != computed)
            {
                throw new InvalidDataException("the store snapshot is corrupt: its checksum does not match its contents");
            }

            state.AttachLeasedKeys();
            return state;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the store snapshot ends early; it is truncated", e);
        }
    }

    /// <summary>Appends one change read from a snapshot, sharing the key array with the key's other changes.</summary>
    private void Load(BinaryReader r)
    {
        var key = ReadBytes(r);
        var mod = r.ReadInt64();
        var sub = r.ReadInt32();
        var create = r.ReadInt64();
        var version = r.ReadInt64();
        var lease = r.ReadInt64();
        var value = ReadBytes(r);
        var history = _index.Find(key);
        if (history is null)
        {
            history = new KeyHistory(key);
            _index.Add(history);
        }

        var v = new KeyVersion(history.Key, mod, sub, create, version, value, lease) { Prev = history.Head };
        history.Head = v;
        _log.Add(v);
    }

    private void AttachLeasedKeys()
    {
        foreach (var history in _index.All)
        {
            if (history.Head is { IsTombstone: false, Lease: not 0 } head)
            {
                AttachKey(history.Key, head.Lease);
            }
        }
    }

    private static byte[] ReadBytes(BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0)
        {
            throw new InvalidDataException("the store snapshot is corrupt: a negative length");
        }

        // A corrupt length must not allocate more than the stream holds: large strings arrive in chunks.
        const int chunk = 1 << 20;
        if (length <= chunk)
        {
            var bytes = r.ReadBytes(length);
            return bytes.Length == length ? bytes : throw new EndOfStreamException();
        }

        using var collected = new MemoryStream();
        for (var left = length; left > 0; left -= chunk)
        {
            var part = r.ReadBytes(Math.Min(left, chunk));
            collected.Write(part.Length == Math.Min(left, chunk) ? part : throw new EndOfStreamException());
        }

        return collected.ToArray();
    }
}
