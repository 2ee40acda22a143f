using System.Buffers.Text;
using System.Diagnostics;

namespace K3sLab.Perf.Api;

/// <summary>
/// One watcher's side of a watch: reads the JSON-lines event stream and, for every event that carries a stamp
/// (<see cref="ConfigMaps.StampKey"/>), notes when it arrived by the write's sequence number. A sequence seen twice
/// is a duplicate; an event whose resourceVersion is not above the one before it is out of order (the writer may
/// have several creates in flight, so commit order, not sequence order, is what a watch must follow); an ERROR event
/// ends the stream.
/// Only its own reading task writes to it; read its figures after that task has ended.
/// </summary>
internal sealed class WatchStream(int writes)
{
    private static readonly byte[] StampMarker = System.Text.Encoding.UTF8.GetBytes($"\"{ConfigMaps.StampKey}\":\"");

    private static readonly byte[] VersionMarker = "\"resourceVersion\":\""u8.ToArray();

    /// <summary>Stopwatch timestamp at which each write's event arrived; 0 when it has not.</summary>
    public long[] Received { get; } = new long[writes];

    public int Delivered { get; private set; }

    public int Duplicates { get; private set; }

    public int OutOfOrder { get; private set; }

    public string? Error { get; private set; }

    /// <summary>Reads until the stream ends or <paramref name="ct"/> stops it; <paramref name="onEvent"/> runs for each stamped event.</summary>
    public async Task ReadAsync(Stream stream, Action onEvent, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var highest = 0UL;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
                if (read == 0)
                {
                    Error ??= "the server ended the watch";
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                filled += read;
                var start = 0;
                int newline;
                while ((newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start)) >= 0)
                {
                    if (OnLine(buffer.AsSpan(start, newline - start), now, ref highest))
                    {
                        onEvent();
                    }

                    start = newline + 1;
                }

                Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                filled -= start;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The suite stopped the watch.
        }
        catch (IOException e) when (!ct.IsCancellationRequested)
        {
            Error ??= $"the watch stream failed: {e.Message}";
        }
    }

    private bool OnLine(ReadOnlySpan<byte> line, long now, ref ulong highest)
    {
        var at = line.IndexOf(StampMarker);
        if (at < 0)
        {
            if (line.IndexOf("\"type\":\"ERROR\""u8) >= 0)
            {
                Error ??= System.Text.Encoding.UTF8.GetString(line[..Math.Min(line.Length, 300)]);
            }

            return false;
        }

        var stamp = line[(at + StampMarker.Length)..];
        if (!Utf8Parser.TryParse(stamp, out int sequence, out _) || sequence < 0 || sequence >= Received.Length)
        {
            Error ??= "an event carried a stamp the suite did not write";
            return false;
        }

        if (Received[sequence] != 0)
        {
            Duplicates++;
            return false;
        }

        var versionAt = line.IndexOf(VersionMarker);
        if (versionAt < 0 || !Utf8Parser.TryParse(line[(versionAt + VersionMarker.Length)..], out ulong version, out _))
        {
            Error ??= "an event carried no resourceVersion";
            return false;
        }

        if (version <= highest)
        {
            OutOfOrder++;
        }

        highest = Math.Max(highest, version);
        Received[sequence] = now;
        Delivered++;
        return true;
    }
}
