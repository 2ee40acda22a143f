using System.Buffers;
using K3sLab.K3s.Store;
using Microsoft.Win32.SafeHandles;

namespace K3sLab.K3s.Replication.Storage;

internal sealed partial class Wal
{
    /// <summary>The queue's writer: drains the queue into one buffer, writes it, fsyncs, then completes every caller in it.</summary>
    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<WalWrite>();
        while (await reader.WaitToReadAsync())
        {
            lock (_writeLock)
            {
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var write))
                {
                    batch.Add(write);
                }

                WriteLocked(batch);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="write"/> on the calling thread when nothing else is queued or being written, and returns
    /// whether it did. A caller that waits for each save before making the next (the Raft host's loop) then pays for
    /// no hand-over to the writer task and back, two thread wake-ups per save. Otherwise the save queues for the writer
    /// and shares a batch.
    /// </summary>
    private bool TryWriteInline(WalWrite write)
    {
        if (_queue.Reader.Count > 0 || !_writeLock.TryEnter())
        {
            return false;
        }

        try
        {
            if (_queue.Reader.Count > 0 || _closed)
            {
                return false;
            }

            _inline.Clear();
            _inline.Add(write);
            WriteLocked(_inline);
            return true;
        }
        finally
        {
            _writeLock.Exit();
        }
    }

    /// <summary>Writes and fsyncs one batch, then completes or fails every save in it. Holds <see cref="_writeLock"/>.</summary>
    private void WriteLocked(List<WalWrite> batch)
    {
        if (_failure is { } failure)
        {
            batch.ForEach(w => w.Fail(WalErrors.Stopped(failure)));
            return;
        }

        try
        {
            Commit(batch, _buffer);
            Counters.Saved(batch.Count);
            batch.ForEach(w => w.Complete());
        }
        catch (Exception e)
        {
            var error = e switch
            {
                StoreException store => store,
                IOException or UnauthorizedAccessException => WalErrors.ToStore(e, _directory, _buffer.WrittenCount, Describe(batch)),
                _ => new StoreException(StoreError.Unavailable, $"the Raft WAL writer failed ({e.Message}); {Describe(batch)} was not acknowledged and the log accepts no more writes. Restart the server", e),
            };
            Volatile.Write(ref _failure, error);
            Log.WriteFailed(_logger, e, _directory, error.Error);
            batch.ForEach(w => w.Fail(error));
        }
    }

    private void Commit(List<WalWrite> batch, ArrayBufferWriter<byte> buffer)
    {
        // A segment that was not started from a zero-filled spare is closed as soon as a spare is ready: its
        // fdatasyncs cost more (see WalSpare), and recovery reads an earlier segment's unused tail as such.
        if (_length >= _options.SegmentSize || (!_zeroed && _spare is { Ready: true }))
        {
            try
            {
                Roll();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw WalErrors.ToStore(e, _directory, _options.Preallocate ? _options.SegmentSize : 4096, $"starting a new segment for {Describe(batch)}");
            }
        }

        buffer.ResetWrittenCount();
        var crc = _crc;
        var lastIndex = _lastIndex;
        var hardState = _hardState;
        var marker = _marker;
        var records = 0;
        foreach (var write in batch)
        {
            if (write.HardState is { } hs)
            {
                crc = WalCodec.AppendHardState(buffer, crc, hs);
                hardState = hs;
                records++;
            }

            foreach (var entry in write.Entries)
            {
                crc = WalCodec.AppendEntry(buffer, crc, entry);
                lastIndex = entry.Index;
                records++;
            }

            if (write.Marker is { } m)
            {
                crc = WalCodec.AppendMarker(buffer, crc, m);
                marker = m;
                lastIndex = Math.Max(lastIndex, m.Index);
                records++;
            }
        }

        try
        {
            RandomAccess.Write(_current, buffer.WrittenSpan, _length);
            if (!PlantedBugs.AckBeforeFsync)
            {
                DataSync.Flush(_current);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cut off whatever part of the batch reached the file, so a reopen sees exactly the acknowledged records.
            try
            {
                RandomAccess.SetLength(_current, _length);
                RandomAccess.FlushToDisk(_current);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                Log.CutBackFailed(_logger, cleanup, _directory);
            }

            throw;
        }

        _length += buffer.WrittenCount;
        _crc = crc;
        _lastIndex = lastIndex;
        _hardState = hardState;
        _marker = marker;
        Interlocked.Exchange(ref _durableSnapshot, marker.Index);
        Counters.Batch();
        Counters.Fsync();
        Counters.Appended(records, buffer.WrittenCount);
    }

    private static string Describe(List<WalWrite> batch) => batch.Count == 1 ? "the write" : $"a batch of {batch.Count} writes";

    /// <summary>Starts the next segment; the current one is complete and fsynced, and stays so if this fails.</summary>
    private void Roll()
    {
        var name = new WalSegmentName(Segments[^1].Sequence + 1, _lastIndex + 1);
        var spare = _spare?.TryTake();
        var (handle, tail) = StartSegment(_directory, _options, name, Metadata, new WalReplay.Tail([], 0, _crc, _lastIndex, _hardState, _marker), spare);
        _zeroed = spare is not null;
        PrepareSpare();
        var previous = _current;
        var previousLength = _length;
        _current = handle;
        _length = tail.Length;
        _crc = tail.Crc;
        previous.Dispose();
        lock (_segmentsLock)
        {
            _closedLengths[_segments[^1].Sequence] = previousLength;
            _segments.Add(name);
        }

        Counters.Segment();
        Counters.Fsync();
        Counters.Appended(1 + (_hardState is null ? 0 : 1) + (_marker == default ? 0 : 1), tail.Length);
        Log.Rolled(_logger, name.FileName, _lastIndex + 1);
    }

    /// <summary>Starts preparing the next segment's file unless one is being prepared or ready (see <see cref="WalSpare"/>).</summary>
    private void PrepareSpare()
    {
        if (!_options.Preallocate || _spare is { Taken: false, Failed: false })
        {
            return;
        }

        _spare?.Dispose();
        _spare = WalSpare.Prepare(_directory, _options.SegmentSize, _logger);
    }

    /// <summary>
    /// Writes a segment under a temporary name (header, then the current hard state and snapshot marker, so older
    /// segments can be released), fsyncs it, renames it into place and fsyncs the directory. With a
    /// <paramref name="spare"/>, the records go over its zeroes and the spare's file becomes the segment.
    /// </summary>
    private static (SafeFileHandle Handle, WalReplay.Tail Tail) StartSegment(string directory, WalOptions options, WalSegmentName name, WalMetadata metadata, WalReplay.Tail state, (SafeFileHandle Handle, string Path)? spare = null)
    {
        var path = Path.Combine(directory, name.FileName);
        var temp = spare?.Path ?? path + WalSegmentName.TempSuffix;
        var buffer = new ArrayBufferWriter<byte>(256);
        var crc = WalCodec.AppendHeader(buffer, new WalSegmentHeader(name.Sequence, name.FirstIndex, metadata, state.Crc));
        if (state.HardState is { } hs)
        {
            crc = WalCodec.AppendHardState(buffer, crc, hs);
        }

        if (state.Marker != default)
        {
            crc = WalCodec.AppendMarker(buffer, crc, state.Marker);
        }

        SafeFileHandle? handle = null;
        try
        {
            handle = spare?.Handle ?? File.OpenHandle(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, options.Preallocate ? options.SegmentSize : 0);
            RandomAccess.Write(handle, buffer.WrittenSpan, 0);
            if (options.Preallocate && spare is null)
            {
                // The file takes its full length now, over the reserved blocks, so appends never change its size and
                // each fsync has only the data to flush, not the inode (see WalOptions.Preallocate).
                RandomAccess.SetLength(handle, Math.Max(options.SegmentSize, buffer.WrittenCount));
            }

            RandomAccess.FlushToDisk(handle);
            File.Move(temp, path);
            DirectorySync.Fsync(directory);
        }
        catch
        {
            handle?.Dispose();
            File.Delete(temp);
            throw;
        }

        return (handle, state with { Length = buffer.WrittenCount, Crc = crc });
    }
}
