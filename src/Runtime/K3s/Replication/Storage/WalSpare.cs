using Microsoft.Win32.SafeHandles;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// The next segment's file, made ready in the background while the current segment fills, as etcd's WAL keeps a
/// preallocated file ready: reserved at its full length, zero-filled and fsynced, so starting the next segment only
/// writes its first records over the zeroes and renames the file into place.
/// <para>Why zeroes: blocks reserved with fallocate are "unwritten" on ext4 and xfs, so the first write into each one
/// changes the file's extent map and its fdatasync must also commit the journal. Once zeroes have really been written
/// there, an append's fdatasync flushes its data alone. On this project's machine a 2 KiB append with fdatasync took
/// 107-122 µs (p50) into a zero-filled file against 152-154 µs into a fallocated one, and writing and syncing 64 MiB
/// of zeroes took 30 ms unpaced (about 0.5 s at the paced rate). PostgreSQL zero-fills its WAL segments for the same reason. Done here, in the background,
/// the zeroes never hold up a save.</para>
/// <para>The file is named like an unfinished segment, so recovery deletes one left behind by a crash. If preparing
/// it fails (a full disk, for one), the writer starts its next segment the ordinary way and reports that error.</para>
/// </summary>
internal sealed partial class WalSpare : IDisposable
{
    /// <summary>The spare's name in the WAL directory.</summary>
    public const string FileName = "next" + WalSegmentName.Extension + WalSegmentName.TempSuffix;

    private const int ChunkBytes = 256 * 1024;

    private readonly Task<SafeFileHandle?> _prepared;
    private bool _taken;

    private WalSpare(string directory, long length, ILogger logger)
    {
        Path = System.IO.Path.Combine(directory, FileName);
        _prepared = Task.Run(() => Create(Path, length, logger));
    }

    /// <summary>Where the spare file is.</summary>
    public string Path { get; }

    /// <summary>True once the spare is ready to be taken.</summary>
    public bool Ready => !_taken && _prepared.IsCompletedSuccessfully && _prepared.Result is not null;

    /// <summary>True once the prepared file was handed to the writer.</summary>
    public bool Taken => _taken;

    /// <summary>True once preparing the spare has failed; it will not be ready, and a new one may be prepared.</summary>
    public bool Failed => _prepared.IsCompleted && (!_prepared.IsCompletedSuccessfully || _prepared.Result is null);

    /// <summary>Starts preparing a spare of <paramref name="length"/> bytes in <paramref name="directory"/>.</summary>
    public static WalSpare Prepare(string directory, long length, ILogger logger) => new(directory, length, logger);

    /// <summary>
    /// The prepared file (its handle and path) when it is ready now; null while it is still being prepared or when
    /// that failed. The caller owns the handle and the file from then on.
    /// </summary>
    public (SafeFileHandle Handle, string Path)? TryTake()
    {
        if (_taken || !_prepared.IsCompletedSuccessfully || _prepared.Result is not { } handle)
        {
            return null;
        }

        _taken = true;
        return (handle, Path);
    }

    /// <summary>Waits for the preparation to end; closes and deletes the file unless it was taken.</summary>
    public void Dispose()
    {
        if (_taken)
        {
            return;
        }

        try
        {
            _prepared.Wait();
        }
        catch (AggregateException)
        {
            // Create reports its own failures and returns null; nothing else is expected here.
        }

        if (_prepared.IsCompletedSuccessfully && _prepared.Result is { } handle)
        {
            handle.Dispose();
            TryDelete(Path);
        }
    }

    private static SafeFileHandle? Create(string path, long length, ILogger logger)
    {
        SafeFileHandle? handle = null;
        try
        {
            File.Delete(path);
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.None, length);
            RandomAccess.SetLength(handle, length);
            WriteZeroes(handle, length);
            RandomAccess.FlushToDisk(handle);
            return handle;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            handle?.Dispose();
            TryDelete(path);
            Log.NotPrepared(logger, path, e.Message);
            return null;
        }
    }

    private static void WriteZeroes(SafeFileHandle handle, long length)
    {
        // Paced, as a snapshot is: 64 MiB written at once held the members' WAL fsyncs for milliseconds.
        var writeback = new PacedWriteback(handle);
        var chunk = new byte[(int)Math.Min(ChunkBytes, length)];
        for (long at = 0; at < length;)
        {
            var part = (int)Math.Min(chunk.Length, length - at);
            RandomAccess.Write(handle, chunk.AsSpan(0, part), at);
            at += part;
            writeback.Reached(at);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Recovery deletes it at the next open, as any unfinished segment.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Could not prepare the next WAL segment at {Path} ({Reason}); the next segment will be started when it is needed")]
        public static partial void NotPrepared(ILogger logger, string path, string reason);
    }
}
