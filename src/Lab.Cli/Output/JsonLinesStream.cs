using System.Text;
using System.Text.Json;

namespace K3sLab.Cli.Output;

/// <summary>
/// A write-only stream that turns the text written to it into JSON Lines on <paramref name="target"/>, one
/// <see cref="LogLine"/> per line of text; a last line without a newline is written on dispose. Instances that share
/// a target share <paramref name="gate"/>, so lines of stdout and stderr never interleave mid-object.
/// </summary>
internal sealed class JsonLinesStream(TextWriter target, object gate, string node, string streamName) : Stream
{
    private readonly MemoryStream _pending = new();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.IndexOf((byte)'\n') is var newline and >= 0)
        {
            _pending.Write(buffer[..newline]);
            Emit();
            buffer = buffer[(newline + 1)..];
        }

        _pending.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _pending.Length > 0)
        {
            Emit();
        }

        base.Dispose(disposing);
    }

    private void Emit()
    {
        var text = Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length).TrimEnd('\r');
        _pending.SetLength(0);
        var json = JsonSerializer.Serialize(new LogLine(node, streamName, text), CliJsonLinesContext.Default.LogLine);
        lock (gate)
        {
            target.WriteLine(json);
            target.Flush();
        }
    }
}
