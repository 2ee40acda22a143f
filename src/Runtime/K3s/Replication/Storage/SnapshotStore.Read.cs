using System.Buffers.Binary;

namespace K3sLab.K3s.Replication.Storage;

internal sealed partial class SnapshotStore
{
    /// <summary>
    /// Reads the data of the snapshot file <paramref name="marker"/> names into one array of its exact size, checking
    /// the file's checksum: what a leader sends a member that fell behind its log. Unlike
    /// <see cref="LoadNewestAsync"/>, a damaged file is only reported (the WAL may still need it), never renamed.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged or is not the snapshot its name says.</exception>
    /// <exception cref="IOException">The file cannot be read (for example, it is gone).</exception>
    public async Task<byte[]> ReadDataAsync(SnapshotMarker marker, CancellationToken ct)
    {
        var path = Path.Combine(directory, SnapshotFile.NameOf(marker));
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);

        // magic, version, index, term, voter count | voters, learner count | learners, data length.
        var fixedPart = await ReadAsync(file, 4 + 2 + 8 + 8 + 4, path, ct);
        if (BinaryPrimitives.ReadUInt32LittleEndian(fixedPart) != SnapshotCodec.Magic || BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(4)) != SnapshotCodec.Version)
        {
            throw new InvalidDataException($"{path} is not a snapshot this version writes");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(fixedPart.AsSpan(6)) != marker.Index || BinaryPrimitives.ReadUInt64LittleEndian(fixedPart.AsSpan(14)) != marker.Term)
        {
            throw new InvalidDataException($"{path} is not the snapshot its name says");
        }

        var voters = await ReadAsync(file, Ids(fixedPart.AsSpan(22), file, path) + 4, path, ct);
        var learners = await ReadAsync(file, Ids(voters.AsSpan(voters.Length - 4), file, path) + 8, path, ct);
        var length = BinaryPrimitives.ReadUInt64LittleEndian(learners.AsSpan(learners.Length - 8));
        var headerLength = fixedPart.Length + voters.Length + learners.Length;
        if (length != (ulong)(file.Length - headerLength - 4) || length > (ulong)Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: the data length does not match the file");
        }

        var data = await ReadAsync(file, (int)length, path, ct);
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(await ReadAsync(file, 4, path, ct));
        var crc = Crc32C.Append(Crc32C.Append(Crc32C.Append(Crc32C.Append(0, fixedPart), voters), learners), data);
        return crc == stored ? data : throw new InvalidDataException($"{path}: the checksum does not match");
    }

    /// <summary>The bytes a count of member ids at the start of <paramref name="count"/> takes, bounded by the file.</summary>
    private static int Ids(ReadOnlySpan<byte> count, FileStream file, string path)
    {
        var ids = BinaryPrimitives.ReadUInt32LittleEndian(count);
        return ids <= (file.Length - file.Position) / 8 ? (int)ids * 8 : throw new InvalidDataException($"{path}: the member lists run past the end");
    }

    private static async Task<byte[]> ReadAsync(FileStream file, int count, string path, CancellationToken ct)
    {
        var bytes = new byte[count];
        try
        {
            await file.ReadExactlyAsync(bytes, ct);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} ends early", e);
        }

        return bytes;
    }
}
