namespace K3sLab.K3s.Streams;

/// <summary>
/// The common frame of the runtime's message-backed byte streams (a tunnel stream, a SPDY stream, a WebSocket seen
/// as bytes): readable and writable, not seekable, asynchronous only. A subclass gives the two
/// <see cref="Memory{T}"/> overloads; the array overloads forward to them, the synchronous ones refuse, and flushing
/// does nothing because every write is sent when it completes.
/// </summary>
internal abstract class AsyncDuplexStream : Stream
{
    public sealed override bool CanRead => true;

    public sealed override bool CanWrite => true;

    public sealed override bool CanSeek => false;

    public sealed override long Length => throw new NotSupportedException();

    public sealed override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default);

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public sealed override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public sealed override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException($"{GetType().Name} is asynchronous only: use ReadAsync");

    public sealed override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException($"{GetType().Name} is asynchronous only: use WriteAsync");

    public sealed override void Flush()
    {
    }

    public sealed override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
