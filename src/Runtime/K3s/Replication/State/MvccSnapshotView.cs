using System.Text;

namespace K3sLab.K3s.Replication.State;

/// <summary>
/// A frozen copy of an <see cref="MvccState"/>'s snapshot contents, taken in O(changes held) reference copies by
/// <see cref="MvccState.CaptureSnapshot"/>. Writing it reads only immutable data (the changes' keys, values and
/// revisions never change once applied), so it may run on any thread while the state goes on applying: the
/// host captures on its loop, where the state matches the applied index, and encodes on a background thread.
/// </summary>
internal sealed class MvccSnapshotView
{
    private readonly long _revision;
    private readonly long _compactRevision;
    private readonly (long Id, long Ttl)[] _leases;
    private readonly KeyVersion[] _log;

    internal MvccSnapshotView(long revision, long compactRevision, (long Id, long Ttl)[] leases, KeyVersion[] log)
    {
        _revision = revision;
        _compactRevision = compactRevision;
        _leases = leases;
        _log = log;
    }

    /// <summary>The revision the view was taken at.</summary>
    public long Revision => _revision;

    /// <summary>The number of bytes <see cref="WriteTo"/> writes, counted from the layout without encoding anything.</summary>
    public long Length
    {
        get
        {
            // magic, version, revision, compacted revision, lease count, leases, change count, changes, CRC.
            var length = MvccState.SnapshotMagicBytes.Length + 4L + 8 + 8 + 4 + (16L * _leases.Length) + 8 + 4;
            foreach (var v in _log)
            {
                length += 4 + v.Key.Length + 8 + 4 + 8 + 8 + 8 + 4 + v.Value.Length;
            }

            return length;
        }
    }

    /// <summary>
    /// Writes the layout <see cref="MvccState.ReadSnapshot"/> reads: magic, version, revision, compacted revision,
    /// the leases in ID order, every held change in revision order, then a CRC-32C of everything before it.
    /// Little-endian; the stream is left open. Equal states write equal bytes.
    /// </summary>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);

        // The checksum is taken over the buffered 64 KiB blocks, not over each field.
        var crc = new Crc32CStream(destination);
        var buffered = new BufferedStream(crc, 1 << 16);
        using (var w = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(MvccState.SnapshotMagicBytes);
            w.Write(MvccState.SnapshotVersion);
            w.Write(_revision);
            w.Write(_compactRevision);
            w.Write(_leases.Length);
            foreach (var (id, ttl) in _leases)
            {
                w.Write(id);
                w.Write(ttl);
            }

            w.Write((long)_log.Length);
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

        buffered.Flush();
        Span<byte> sum = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(sum, crc.Crc);
        destination.Write(sum);
    }
}
