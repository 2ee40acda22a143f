using System.Buffers;
using System.Threading.Channels;
using K3sLab.K3s.Store;
using K3sLab.Raft;
using Microsoft.Win32.SafeHandles;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// The Raft host's write-ahead log: hard states, entries and snapshot markers appended to segment files and fsynced
/// before a save completes.
/// <para>Group commit: one writer task takes every save that queued up while the previous fsync ran and writes them with
/// one write and one fsync, so concurrent callers share the cost. A save that finds nothing queued and nothing being
/// written is written on its caller's thread instead. Saves are written in the order they were called.</para>
/// <para>Failure: if a write or fsync fails, that batch fails with a <see cref="StoreException"/> (NoSpace for a full disk,
/// else Unavailable), the bytes it may have left are cut off, and every later save fails too: after a failed fsync the
/// file's state is unknown, so the WAL accepts nothing more until it is reopened (etcd panics for the same reason).
/// Nothing is ever acknowledged that was not fsynced.</para>
/// <para>Thread-safety: every method may be called from any thread.</para>
/// </summary>
internal sealed partial class Wal : IAsyncDisposable
{
    private const int MaxBatch = 4096;

    private readonly string _directory;
    private readonly WalOptions _options;
    private readonly ILogger _logger;

    // Not single-reader: that channel cannot count its items, and a save writes inline only when none are queued.
    private readonly Channel<WalWrite> _queue = Channel.CreateUnbounded<WalWrite>();
    private readonly Lock _segmentsLock = new();

    // Held while a batch is written, by the writer task or by a caller writing inline (see TryWriteInline).
    private readonly Lock _writeLock = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly List<WalWrite> _inline = new(1);
    private readonly List<WalSegmentName> _segments;

    /// <summary>The bytes written to each segment this WAL closed, by sequence (guarded by <see cref="_segmentsLock"/>).</summary>
    private readonly Dictionary<ulong, long> _closedLengths = [];
    private readonly Task _loop;
    private SafeFileHandle _current;
    private long _length;
    private uint _crc;
    private ulong _lastIndex;
    private HardState? _hardState;
    private SnapshotMarker _marker;
    private StoreException? _failure;
    private bool _closed;
    private ulong _durableSnapshot;

    // The next segment's file, being prepared or ready; and whether the current segment was started from one.
    private WalSpare? _spare;
    private bool _zeroed;

    private Wal(string directory, WalOptions options, ILogger logger, WalMetadata metadata, List<WalSegmentName> segments, SafeFileHandle current, WalReplay.Tail tail)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        Metadata = metadata;
        _segments = segments;
        _current = current;
        _length = tail.Length;
        _crc = tail.Crc;
        _lastIndex = tail.LastIndex;
        _hardState = tail.HardState;
        _marker = tail.Marker;
        _durableSnapshot = tail.Marker.Index;
        PrepareSpare();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The member and cluster the WAL belongs to.</summary>
    public WalMetadata Metadata { get; }

    /// <summary>What this WAL has written since it was opened.</summary>
    public WalCounters Counters { get; } = new();

    /// <summary>Whether the next segment's zero-filled file is ready (<see cref="WalSpare"/>); false without preallocation.</summary>
    public bool SpareReady => Volatile.Read(ref _spare) is { Ready: true };

    /// <summary>The directory holding the segments.</summary>
    public string Directory => _directory;

    /// <summary>The segments on disk, oldest first; the last is the one being appended to.</summary>
    public IReadOnlyList<WalSegmentName> Segments
    {
        get
        {
            lock (_segmentsLock)
            {
                return [.. _segments];
            }
        }
    }

    /// <summary>
    /// Bytes of log the segments hold: what was written to each earlier segment, and to the current one so far. The
    /// zeros preallocated after a segment's last record (a segment may close early, see Wal.Writer.cs) and the spare
    /// segment made ready for the next hold no log, so they are not counted. A segment closed before this WAL was
    /// opened counts at its file's length.
    /// </summary>
    public long LogBytes()
    {
        List<(WalSegmentName Name, long? Written)> closed;
        lock (_segmentsLock)
        {
            closed = [.. _segments.Take(_segments.Count - 1).Select(s => (s, _closedLengths.TryGetValue(s.Sequence, out var n) ? n : (long?)null))];
        }

        long total = 0;
        foreach (var (name, written) in closed)
        {
            total += written ?? ClosedBeforeReopen(name);
        }

        return total + Volatile.Read(ref _length);
    }

    /// <summary>
    /// A segment closed before this WAL was opened counts at its file length, its unused tail included; one released
    /// meanwhile counts as 0 (Exists fills in the length without throwing).
    /// </summary>
    private long ClosedBeforeReopen(WalSegmentName name)
    {
        var file = new FileInfo(Path.Combine(_directory, name.FileName));
        return file.Exists ? file.Length : 0;
    }

    /// <summary>Whether <paramref name="directory"/> holds a WAL to open.</summary>
    public static bool Exists(string directory) => System.IO.Directory.Exists(directory) && WalSegmentName.List(directory).Count > 0;

    /// <summary>Creates a new, empty WAL in <paramref name="directory"/> (created if missing; it must hold no WAL yet).</summary>
    public static Wal Create(string directory, ulong memberId, ulong clusterId, WalOptions options, ILogger logger)
    {
        if (Exists(directory))
        {
            throw new InvalidOperationException($"{directory} already holds a WAL; open it instead of creating one");
        }

        var parent = Path.GetDirectoryName(Path.GetFullPath(directory).TrimEnd('/'))!;
        System.IO.Directory.CreateDirectory(directory);
        var metadata = new WalMetadata(memberId, clusterId);
        var tail = new WalReplay.Tail([], 0, 0, 0, null, default);
        var name = new WalSegmentName(0, 1);
        SafeFileHandle handle;
        try
        {
            (handle, tail) = StartSegment(directory, options, name, metadata, tail);
            DirectorySync.Fsync(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw WalErrors.ToStore(e, directory, options.SegmentSize, "creating the WAL");
        }

        var wal = new Wal(directory, options, logger, metadata, [name], handle, tail);
        wal.Counters.Segment();
        wal.Counters.Fsync();
        wal.Counters.Appended(1, tail.Length);
        Log.Created(logger, directory, memberId, clusterId);
        return wal;
    }

    /// <summary>
    /// Opens an existing WAL: replays every segment (cutting off a torn tail, refusing real damage with
    /// <see cref="WalCorruptException"/>) and continues appending after the last valid record.
    /// </summary>
    public static async Task<OpenedWal> OpenAsync(string directory, WalOptions options, ILogger logger, CancellationToken ct)
    {
        var (recovery, tail) = await new WalReplay(directory, options, logger).RunAsync(ct);
        var last = tail.Segments[^1];
        var handle = File.OpenHandle(Path.Combine(directory, last.FileName), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var wal = new Wal(directory, options, logger, recovery.Metadata, tail.Segments, handle, tail);
        Log.Opened(logger, directory, tail.Segments.Count, recovery.Snapshot.Index, recovery.LastIndex);
        return new OpenedWal(wal, recovery);
    }

    /// <summary>
    /// Appends <paramref name="hardState"/> (if any) and then <paramref name="entries"/>, and completes once they are
    /// fsynced. Entries at an index the log already has replace it and everything after it. Cancelling stops the wait,
    /// not the write: the records may still become durable. The WAL reads <paramref name="entries"/> and their data
    /// on its writer task, so neither may change until the returned task completes.
    /// </summary>
    /// <exception cref="StoreException">The disk is full (NoSpace) or failed (Unavailable); nothing of this call was acknowledged.</exception>
    public Task SaveAsync(HardState? hardState, IReadOnlyList<WalEntry> entries, CancellationToken ct) =>
        EnqueueAsync(new WalWrite(hardState, entries, null), ct);

    /// <summary>
    /// Records that the snapshot at <paramref name="marker"/> is durable in the snap directory (write the snapshot file
    /// first); completes once fsynced. Recovery reads entries after the latest marker.
    /// </summary>
    public Task SaveSnapshotMarkerAsync(SnapshotMarker marker, CancellationToken ct) =>
        EnqueueAsync(new WalWrite(null, [], marker), ct);

    /// <summary>
    /// Deletes the segments recovery no longer needs once a snapshot at <paramref name="index"/> is durable: every
    /// segment before the last one that starts at or below index + 1 (each segment begins with the hard state and
    /// snapshot marker current when it started, so nothing else is lost). To keep falling back to an older snapshot
    /// possible, pass that snapshot's index. Returns how many segments were deleted.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is past the latest durable snapshot marker.</exception>
    public int ReleaseBefore(ulong index)
    {
        var durable = Interlocked.Read(ref _durableSnapshot);
        if (index > durable)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the WAL can only release up to its latest durable snapshot marker, index {durable}");
        }

        List<WalSegmentName> released;
        lock (_segmentsLock)
        {
            var keep = _segments.FindLastIndex(s => s.FirstIndex <= index + 1);
            if (keep <= 0)
            {
                return 0;
            }

            released = _segments.GetRange(0, keep);
            _segments.RemoveRange(0, keep);
            released.ForEach(s => _closedLengths.Remove(s.Sequence));
        }

        foreach (var segment in released)
        {
            File.Delete(Path.Combine(_directory, segment.FileName));
        }

        DirectorySync.Fsync(_directory);
        Log.Released(_logger, released.Count, index);
        return released.Count;
    }

    /// <summary>Stops accepting saves, waits for the queued ones and closes the segment.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_writeLock)
        {
            _closed = true;
        }

        _queue.Writer.TryComplete();
        await _loop;
        _current.Dispose();
        _spare?.Dispose();
    }

    private Task EnqueueAsync(WalWrite write, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _failure) is { } failure)
        {
            return Task.FromException(WalErrors.Stopped(failure));
        }

        if (Volatile.Read(ref _closed))
        {
            return Task.FromException(new StoreException(StoreError.Unavailable, "the Raft log is closed"));
        }

        if (TryWriteInline(write))
        {
            return write.Task;
        }

        if (!_queue.Writer.TryWrite(write))
        {
            return Task.FromException(new StoreException(StoreError.Unavailable, "the Raft log is closed"));
        }

        return write.Task.WaitAsync(ct);
    }
}
