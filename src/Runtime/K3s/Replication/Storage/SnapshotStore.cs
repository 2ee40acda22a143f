namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// The snap directory: one file per snapshot, written to a temporary name, fsynced, renamed into place and the
/// directory fsynced, so a file under its final name is always whole. Keeps the newest <see cref="Retain"/>.
/// Thread-safety: one saver at a time (the Raft host's loop); loading happens before saving starts.
/// </summary>
internal sealed partial class SnapshotStore(string directory, ILogger logger, int retain = 5)
{
    /// <summary>The suffix a damaged snapshot is renamed to, so it is kept for inspection but never loaded again.</summary>
    public const string BrokenSuffix = ".broken";

    private const string TempSuffix = ".tmp";

    public string Directory => directory;

    /// <summary>How many snapshot files are kept.</summary>
    public int Retain => retain;

    /// <summary>
    /// Writes <paramref name="snapshot"/> durably, then deletes the oldest beyond <see cref="Retain"/>. Write the
    /// snapshot before its WAL marker: a file the WAL does not name is ignored at load.
    /// </summary>
    /// <remarks>
    /// Written at full speed: this is a snapshot received from the leader (or a rebuild's), and the member waits for
    /// it. A snapshot of this member's own state goes through the paced overload.
    /// </remarks>
    /// <exception cref="Store.StoreException">The disk is full (NoSpace) or failed (Unavailable); no file was left under the final name.</exception>
    public Task SaveAsync(SnapshotFile snapshot, CancellationToken ct) =>
        SaveAsync(snapshot.Marker, snapshot.Voters, snapshot.Learners, snapshot.Data.Length, s => s.Write(snapshot.Data.Span), ct, bytesPerSecond: 0);

    /// <summary>
    /// Writes a snapshot whose data <paramref name="writeData"/> streams into the file (exactly
    /// <paramref name="dataLength"/> bytes, or the save fails), so a large state is never copied in memory to be
    /// saved. Durability and errors as <see cref="SaveAsync(SnapshotFile, CancellationToken)"/>. The file is written
    /// at no more than <paramref name="bytesPerSecond"/> (0: unbounded; see <see cref="PacedWriteback"/>), which
    /// blocks the calling thread while it waits; <paramref name="ct"/> also ends the write between its steps, leaving no
    /// file behind.
    /// </summary>
    public async Task SaveAsync(SnapshotMarker marker, IReadOnlyList<ulong> voters, IReadOnlyList<ulong> learners, long dataLength, Action<Stream> writeData, CancellationToken ct, long bytesPerSecond = PacedWriteback.DefaultBytesPerSecond)
    {
        var path = Path.Combine(directory, SnapshotFile.NameOf(marker));
        var temp = path + TempSuffix;
        var header = SnapshotCodec.EncodeHeader(marker, voters, learners, dataLength);
        var length = header.Length + dataLength + 4;
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                // The CRC covers the header and the data; the writer's own buffering sets the write size, and the
                // file goes to disk in paced steps so the WAL's fsyncs never queue behind much of it.
                var crc = new State.Crc32CStream(new WritebackStream(file, bytesPerSecond, ct));
                crc.Write(header);
                var data = new CountingStream(crc, dataLength);
                writeData(data);
                if (data.Written != dataLength)
                {
                    throw new InvalidOperationException($"the snapshot at index {marker.Index} wrote {data.Written} bytes of data, not the {dataLength} announced");
                }

                Span<byte> trailer = stackalloc byte[4];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc.Crc);
                file.Write(trailer);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            DirectorySync.Fsync(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw WalErrors.ToStore(e, directory, length, $"the snapshot at index {marker.Index}");
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        Log.Saved(logger, path, length);
        Purge();
    }

    /// <summary>The size of the newest snapshot file (highest index, then term); 0 when there is none.</summary>
    public long NewestBytes()
    {
        if (List() is not [var newest, ..])
        {
            return 0;
        }

        // Exists fills in the length; a file purged meanwhile counts as 0 instead of throwing.
        var file = new FileInfo(Path.Combine(directory, SnapshotFile.NameOf(newest)));
        return file.Exists ? file.Length : 0;
    }

    /// <summary>The snapshot files present, newest (highest index) first.</summary>
    public IReadOnlyList<SnapshotMarker> List()
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return [];
        }

        var markers = new List<SnapshotMarker>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + SnapshotCodec.Extension))
        {
            if (SnapshotCodec.TryParseName(Path.GetFileName(path), out var marker))
            {
                markers.Add(marker);
            }
        }

        markers.Sort((a, b) => b.Index != a.Index ? b.Index.CompareTo(a.Index) : b.Term.CompareTo(a.Term));
        return markers;
    }

    /// <summary>
    /// Loads the newest snapshot that is whole and that <paramref name="usable"/> accepts (the WAL names it and reaches
    /// back to it). A damaged file is renamed to *.broken and reported, and an older one is tried; if damage leaves no
    /// usable snapshot this throws <see cref="SnapshotCorruptException"/>. Null when there is no snapshot at all.
    /// </summary>
    public async Task<SnapshotLoad> LoadNewestAsync(Func<SnapshotMarker, bool> usable, CancellationToken ct)
    {
        var damaged = new List<string>();
        foreach (var marker in List())
        {
            if (!usable(marker))
            {
                Log.NotReferenced(logger, Path.Combine(directory, SnapshotFile.NameOf(marker)));
                continue;
            }

            var path = Path.Combine(directory, SnapshotFile.NameOf(marker));
            var snapshot = SnapshotCodec.Decode(await File.ReadAllBytesAsync(path, ct), out var problem);
            if (snapshot is not null && snapshot.Marker != marker)
            {
                problem = $"its content is snapshot {snapshot.Marker}, not what the file name says";
                snapshot = null;
            }

            if (snapshot is not null)
            {
                return new SnapshotLoad(snapshot, damaged);
            }

            Log.Damaged(logger, path, problem!);
            File.Move(path, path + BrokenSuffix, overwrite: true);
            damaged.Add($"{path}: {problem}");
        }

        if (damaged.Count > 0)
        {
            throw new SnapshotCorruptException(damaged);
        }

        return new SnapshotLoad(null, damaged);
    }

    private void Purge()
    {
        var all = List();
        if (all.Count <= retain)
        {
            return;
        }

        foreach (var old in all.Skip(retain))
        {
            File.Delete(Path.Combine(directory, SnapshotFile.NameOf(old)));
        }

        DirectorySync.Fsync(directory);
    }
}
