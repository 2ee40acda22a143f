using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// Reads every segment in order and rebuilds the log. A torn tail of the last segment (never fsynced, so never
/// acknowledged) is cut off with a warning; any other damage throws <see cref="WalCorruptException"/>. Damage counts as
/// a torn tail only when it is in the last segment and no valid record follows it (<see cref="WalTailProbe"/>).
/// </summary>
internal sealed partial class WalReplay(string directory, WalOptions options, ILogger logger)
{
    private readonly List<WalEntry> _log = [];
    private readonly List<SnapshotMarker> _markers = [];
    private ulong? _base;
    private HardState? _hardState;
    private WalMetadata? _metadata;
    private uint _crc;

    /// <summary>Where the writer continues: the last segment and the valid length of it.</summary>
    public sealed record Tail(List<WalSegmentName> Segments, long Length, uint Crc, ulong LastIndex, HardState? HardState, SnapshotMarker Marker);

    public async Task<(WalRecovery Recovery, Tail Tail)> RunAsync(CancellationToken ct)
    {
        foreach (var leftover in Directory.EnumerateFiles(directory, "*" + WalSegmentName.Extension + WalSegmentName.TempSuffix))
        {
            Log.RemovedUnfinishedSegment(logger, leftover);
            File.Delete(leftover);
        }

        var segments = WalSegmentName.List(directory);
        if (segments.Count == 0)
        {
            throw new InvalidOperationException($"{directory} holds no WAL segments; create the WAL instead of opening it");
        }

        long truncated = 0;
        long length = 0;
        for (var i = 0; i < segments.Count; i++)
        {
            var path = Path.Combine(directory, segments[i].FileName);
            if (i > 0 && segments[i].Sequence != segments[i - 1].Sequence + 1)
            {
                throw new WalCorruptException(path, 0, 0, $"segment {segments[i - 1].Sequence + 1} between {segments[i - 1].FileName} and {segments[i].FileName} is missing");
            }

            var bytes = await File.ReadAllBytesAsync(path, ct);
            length = ReadSegment(path, segments[i], bytes, first: i == 0, last: i == segments.Count - 1);
            if (length < bytes.Length && !(options.Preallocate && IsUnused(bytes, length)))
            {
                truncated = bytes.Length - length;
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None, 1, FileOptions.None);
                file.SetLength(length);
                if (options.Preallocate)
                {
                    // Back to full length (zeroes after the cut) so appends still do not grow the file.
                    file.SetLength(Math.Max(length, options.SegmentSize));
                }

                file.Flush(flushToDisk: true);
            }
        }

        var baseIndex = _base ?? (_markers.Count > 0 ? _markers[^1].Index : 0);
        var recovery = new WalRecovery(_metadata!.Value, _hardState, _markers, _log, baseIndex, truncated);
        var marker = _markers.Count > 0 ? _markers[^1] : default;
        if (recovery.EntriesAfter(marker) is null)
        {
            throw new WalCorruptException(Path.Combine(directory, segments[0].FileName), 0, 0,
                $"the latest snapshot marker {marker} is not followed by the log it needs (the retained log starts at index {recovery.FirstIndex})");
        }

        return (recovery, new Tail(segments, length, _crc, recovery.LastIndex, _hardState, marker));
    }

    /// <summary>Applies one segment; returns the length of its valid prefix (the whole file unless a torn tail was found).</summary>
    private long ReadSegment(string path, WalSegmentName name, byte[] bytes, bool first, bool last)
    {
        var file = bytes.AsMemory();
        var frame = WalCodec.ReadFrame(bytes, 0, 0, options.MaxRecordSize);
        var header = frame.Status == WalFrameStatus.Valid && frame.Type == WalRecordType.SegmentHeader
            ? WalCodec.ReadHeader(bytes.AsSpan(frame.PayloadOffset, frame.PayloadLength))
            : null;
        if (header is not { } h)
        {
            throw new WalCorruptException(path, 0, 0, "the segment header is missing or damaged");
        }

        if (h.Sequence != name.Sequence || h.FirstIndex != name.FirstIndex)
        {
            throw new WalCorruptException(path, 0, 0, $"the header names segment {h.Sequence} at index {h.FirstIndex}, not what the file name says");
        }

        if (_metadata is { } known && known != h.Metadata)
        {
            throw new WalCorruptException(path, 0, 0, $"the segment belongs to member {h.Metadata.MemberId:x} of cluster {h.Metadata.ClusterId:x}, not member {known.MemberId:x} of cluster {known.ClusterId:x}");
        }

        if (!first && h.PreviousCrc != _crc)
        {
            throw new WalCorruptException(path, 0, 0, "the segment does not continue the previous one (its checksum chain breaks): a stale or foreign segment");
        }

        _metadata = h.Metadata;
        _crc = frame.StoredCrc;
        var offset = frame.Size;
        for (long record = 1; offset < bytes.Length; record++)
        {
            if (options.Preallocate && IsUnused(bytes, offset))
            {
                // The preallocated rest of the segment: nothing was ever written here.
                return offset;
            }

            frame = WalCodec.ReadFrame(bytes, offset, _crc, options.MaxRecordSize);
            if (frame.Status != WalFrameStatus.Valid)
            {
                var problem = Describe(frame);
                if (!last)
                {
                    throw new WalCorruptException(path, offset, record, $"{problem} in a segment that was complete before the next one started");
                }

                var lastIndex = Math.Max((_base ?? 0) + (ulong)_log.Count, _markers.Count > 0 ? _markers[^1].Index : 0);
                if (WalTailProbe.ValidRecordFollows(bytes, frame, lastIndex, options.MaxRecordSize))
                {
                    throw new WalCorruptException(path, offset, record, $"{problem}, with valid records after it");
                }

                Log.TornTail(logger, path, offset, record, bytes.Length - offset, problem);
                return offset;
            }

            if (Apply(file, frame) is { } impossible)
            {
                throw new WalCorruptException(path, offset, record, impossible);
            }

            _crc = frame.StoredCrc;
            offset += frame.Size;
        }

        return offset;
    }

    /// <summary>Applies a record with a valid checksum; returns why it makes no sense, or null.</summary>
    private string? Apply(ReadOnlyMemory<byte> file, WalFrame frame)
    {
        var payload = file.Span.Slice(frame.PayloadOffset, frame.PayloadLength);
        switch (frame.Type)
        {
            case WalRecordType.Entry when WalCodec.ReadEntry(file, frame) is { } entry:
                return ApplyEntry(entry);
            case WalRecordType.HardState when WalCodec.ReadHardState(payload) is { } state:
                _hardState = state;
                return null;
            case WalRecordType.SnapshotMarker when WalCodec.ReadMarker(payload) is { } marker:
                ApplyMarker(marker);
                return null;
            default:
                return $"a record of type {(byte)frame.Type} with a {frame.PayloadLength}-byte payload, which this version cannot read";
        }
    }

    private string? ApplyEntry(WalEntry entry)
    {
        if (entry.Index == 0)
        {
            return "an entry at index 0";
        }

        if (_base is not { } b)
        {
            _base = entry.Index - 1;
            _log.Add(entry);
            return null;
        }

        if (entry.Index <= b)
        {
            return null;
        }

        var next = b + (ulong)_log.Count + 1;
        if (entry.Index > next)
        {
            return $"entry {entry.Index} where entry {next} should follow (a gap in the log)";
        }

        var keep = (int)(entry.Index - b - 1);
        _log.RemoveRange(keep, _log.Count - keep);
        _log.Add(entry);
        return null;
    }

    private void ApplyMarker(SnapshotMarker marker)
    {
        _markers.Add(marker);
        if (_base is not { } b || marker.Index <= b)
        {
            return;
        }

        var last = b + (ulong)_log.Count;
        if (marker.Index > last || _log[(int)(marker.Index - b - 1)].Term != marker.Term)
        {
            // A snapshot the log does not contain (a follower catching up from the leader's snapshot) replaces the log.
            _base = marker.Index;
            _log.Clear();
        }
    }

    private static string Describe(WalFrame frame) => frame.Status switch
    {
        WalFrameStatus.Zero => "zeroes where a record should begin",
        WalFrameStatus.PastEnd => frame.Length == 0 ? "a record header cut off by the end of the file" : $"a {frame.Length}-byte record cut off by the end of the file",
        WalFrameStatus.TooLong => "a record length beyond the maximum record size",
        _ => $"a {frame.Type} record whose checksum does not match",
    };

    /// <summary>Whether everything from <paramref name="offset"/> to the end is zero: a segment's unused preallocated rest.</summary>
    private static bool IsUnused(byte[] bytes, long offset) => bytes.AsSpan((int)offset).IndexOfAnyExcept((byte)0) < 0;
}
