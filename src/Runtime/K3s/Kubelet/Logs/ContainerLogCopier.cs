using System.Buffers;
using System.Text;

namespace K3sLab.K3s.Kubelet.Logs;

/// <summary>
/// Copies a CRI log file to a client as the kubelet's <c>/containerLogs</c> does: the message text of each line
/// (prefixed with its RFC3339Nano time when <see cref="ContainerLogOptions.Timestamps"/>), from the last
/// <c>tailLines</c> lines, skipping lines before <c>since</c>, stopping after <c>limitBytes</c> (the last line cut),
/// and with <c>follow</c> waiting for more while the container's run is live. Lines that are not CRI lines are skipped.
/// The file and output streams are the caller's; nothing here knows about pods or HTTP.
/// </summary>
internal static class ContainerLogCopier
{
    /// <summary>How often a followed file is checked for new lines.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <param name="log">The log file, readable and seekable, positioned anywhere.</param>
    /// <param name="output">Where the text goes; flushed whenever a follow waits.</param>
    /// <param name="options">The request's options.</param>
    /// <param name="live">Whether the run that writes the file is still running: following ends once it is not and the file is drained.</param>
    /// <param name="time">The clock for <c>sinceSeconds</c> and the follow wait.</param>
    /// <param name="cancellationToken">The client went away.</param>
    public static async Task CopyAsync(Stream log, Stream output, ContainerLogOptions options, Func<bool> live, TimeProvider time, CancellationToken cancellationToken)
    {
        log.Position = options.TailLines is { } tail ? await TailStartAsync(log, tail, cancellationToken) : 0;
        var since = options.Since(time.GetUtcNow());
        var remaining = options.LimitBytes ?? long.MaxValue;
        var buffer = new byte[64 * 1024];
        var pending = new ArrayBufferWriter<byte>();
        var outgoing = new ArrayBufferWriter<byte>();
        var draining = false;
        while (remaining > 0)
        {
            var n = await log.ReadAsync(buffer, cancellationToken);
            if (n == 0)
            {
                if (!options.Follow || draining)
                {
                    break;
                }

                await FlushAsync(output, outgoing, cancellationToken);
                if (!live())
                {
                    // One more read after the run ended picks up what it wrote last.
                    draining = true;
                    continue;
                }

                await Task.Delay(PollInterval, time, cancellationToken);
                continue;
            }

            var chunk = buffer.AsMemory(0, n);
            while (remaining > 0 && !chunk.IsEmpty)
            {
                var newline = chunk.Span.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    pending.Write(chunk.Span);
                    break;
                }

                ReadOnlyMemory<byte> line;
                if (pending.WrittenCount > 0)
                {
                    pending.Write(chunk.Span[..newline]);
                    line = pending.WrittenMemory.ToArray();
                    pending.Clear();
                }
                else
                {
                    line = chunk[..newline];
                }

                chunk = chunk[(newline + 1)..];
                remaining = Append(outgoing, line, options.Timestamps, since, remaining);
            }

            if (outgoing.WrittenCount >= 32 * 1024)
            {
                await FlushAsync(output, outgoing, cancellationToken);
            }
        }

        if (remaining > 0 && pending.WrittenCount > 0)
        {
            // A last line without its newline: the writer is gone (not following, or the run ended).
            Append(outgoing, pending.WrittenMemory.ToArray(), options.Timestamps, since, remaining);
        }

        await FlushAsync(output, outgoing, cancellationToken);
    }

    /// <summary>The offset where the last <paramref name="lines"/> lines of the file start (its length for 0).</summary>
    public static async Task<long> TailStartAsync(Stream log, long lines, CancellationToken cancellationToken)
    {
        var length = log.Length;
        if (lines == 0 || length == 0)
        {
            return length;
        }

        var block = new byte[64 * 1024];
        log.Position = length - 1;
        var endsWithNewline = await log.ReadAsync(block.AsMemory(0, 1), cancellationToken) == 1 && block[0] == '\n';
        var needed = endsWithNewline ? lines + 1 : lines;
        long found = 0;
        var position = length;
        while (position > 0)
        {
            var start = Math.Max(0, position - block.Length);
            var size = (int)(position - start);
            log.Position = start;
            await log.ReadExactlyAsync(block.AsMemory(0, size), cancellationToken);
            for (var i = size - 1; i >= 0; i--)
            {
                if (block[i] == '\n' && ++found == needed)
                {
                    return start + i + 1;
                }
            }

            position = start;
        }

        return 0;
    }

    /// <summary>Adds one file line's output (if it is a CRI line not before <paramref name="since"/>); returns the bytes still allowed.</summary>
    private static long Append(ArrayBufferWriter<byte> outgoing, ReadOnlyMemory<byte> line, bool timestamps, DateTimeOffset? since, long remaining)
    {
        if (!CriLogLine.TryParse(line, out var parsed) || (since is { } from && parsed.Time < from))
        {
            return remaining;
        }

        var prefix = timestamps ? Encoding.ASCII.GetBytes(parsed.Rfc3339Nano + " ") : [];
        var total = prefix.Length + parsed.Message.Length + (parsed.Partial ? 0 : 1);
        var text = new byte[total];
        prefix.CopyTo(text, 0);
        parsed.Message.Span.CopyTo(text.AsSpan(prefix.Length));
        if (!parsed.Partial)
        {
            text[^1] = (byte)'\n';
        }

        var allowed = (int)Math.Min(total, remaining);
        outgoing.Write(text.AsSpan(0, allowed));
        return remaining - allowed;
    }

    private static async Task FlushAsync(Stream output, ArrayBufferWriter<byte> outgoing, CancellationToken cancellationToken)
    {
        if (outgoing.WrittenCount > 0)
        {
            await output.WriteAsync(outgoing.WrittenMemory, cancellationToken);
            outgoing.Clear();
        }

        await output.FlushAsync(cancellationToken);
    }
}
