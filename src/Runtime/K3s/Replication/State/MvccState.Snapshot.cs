using System.Text;

namespace K3sLab.K3s.Replication.State;

internal sealed partial class MvccState
{
    /// <summary>The first bytes of a snapshot.</summary>
    private static ReadOnlySpan<byte> SnapshotMagic => "K3SMVCC\n"u8;

    /// <summary>The snapshot layout this build writes and reads.</summary>
    public const int SnapshotVersion = 1;

    /// <summary>
    /// Writes the whole state: magic, version, revision, compacted revision, the leases in ID order, every held
    /// change in revision order, then a CRC-32C of everything before it. Little-endian, buffered; the stream is
    /// left open. Equal states write equal bytes.
    /// </summary>
    public void WriteSnapshot(Stream destination)
    {
        // Not disposed: that would close the caller's stream.
        var buffered = new BufferedStream(destination, 1 << 16);
        var crc = new Crc32CStream(buffered);
        using (var w = new BinaryWriter(crc, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(SnapshotMagic);
            w.Write(SnapshotVersion);
            w.Write(Revision);
            w.Write(CompactRevision);
            w.Write(_leases.Count);
            foreach (var id in _leases.Keys.Order())
            {
                w.Write(id);
                w.Write(_leases[id].Ttl);
            }

            w.Write((long)_log.Count);
            foreach (var v in _log)
            {
                w.Write(v.Key.Length);
                w.Write(v.Key);
                w.Write(v.ModRevision);
                w.Write(v.Sub);
                w.Write(v.CreateRevision);
                w.Write(v.Version);
                w.Write(v.Lease);
                w.Write(v.Value.Length);
                w.Write(v.Value);
            }
        }

        var sum = crc.Crc;
        using (var w = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(sum);
        }

        buffered.Flush();
    }

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
