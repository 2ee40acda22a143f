using System.Threading.Channels;
using K3sLab.K3s.Streams;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// One stream of a <see cref="SpdyConnection"/> that the peer opened, used as a byte stream: reads return the DATA
/// frames the peer sends (0 after its FIN or a reset), writes send DATA frames, <see cref="CloseWriteAsync"/> sends
/// FIN. Like spdystream, there is no flow control: what the peer sends is buffered until read. One reader and one
/// writer may run concurrently.
/// </summary>
internal sealed class SpdyStream : AsyncDuplexStream
{
    /// <summary>The largest DATA frame this end sends.</summary>
    internal const int MaxFrame = 32 * 1024;

    private readonly SpdyConnection _connection;
    private readonly Channel<ReadOnlyMemory<byte>> _received = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private ReadOnlyMemory<byte> _head;
    private int _closedWrite;

    internal SpdyStream(SpdyConnection connection, uint id, SpdyHeaders headers)
    {
        _connection = connection;
        Id = id;
        Headers = headers;
    }

    public uint Id { get; }

    /// <summary>The SYN_STREAM's headers (e.g. <c>streamType</c>).</summary>
    public SpdyHeaders Headers { get; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_head.IsEmpty)
        {
            if (!await _received.Reader.WaitToReadAsync(cancellationToken))
            {
                return 0;
            }

            _received.Reader.TryRead(out _head);
        }

        var n = Math.Min(buffer.Length, _head.Length);
        _head.Span[..n].CopyTo(buffer.Span);
        _head = _head[n..];
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, MaxFrame);
            await _connection.SendAsync(SpdyFrame.Data(Id, buffer[..n]), cancellationToken);
            buffer = buffer[n..];
        }
    }

    /// <summary>Sends FIN: this end writes nothing more. Idempotent.</summary>
    public async Task CloseWriteAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _closedWrite, 1) == 0)
        {
            await _connection.SendAsync(SpdyFrame.Data(Id, ReadOnlyMemory<byte>.Empty, fin: true), ct);
        }
    }

    internal void Receive(ReadOnlyMemory<byte> data)
    {
        if (!data.IsEmpty)
        {
            _received.Writer.TryWrite(data);
        }
    }

    /// <summary>The peer sent FIN, reset the stream, or the connection ended: reads drain and then return 0.</summary>
    internal void EndReceive() => _received.Writer.TryComplete();
}
