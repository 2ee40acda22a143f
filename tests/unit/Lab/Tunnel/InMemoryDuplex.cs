using System.Threading.Channels;

namespace K3sLab.Lab.Tests.Tunnel;

/// <summary>Two connected in-memory streams, like a socket pair: what one writes the other reads; disposing one ends the other's reads.</summary>
internal static class InMemoryDuplex
{
    public static (Stream A, Stream B) Create()
    {
        var aToB = Channel.CreateUnbounded<byte[]>();
        var bToA = Channel.CreateUnbounded<byte[]>();
        return (new End(bToA.Reader, aToB.Writer), new End(aToB.Reader, bToA.Writer));
    }

    private sealed class End(ChannelReader<byte[]> input, ChannelWriter<byte[]> output) : Stream
    {
        private byte[] _head = [];
        private int _offset;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset == _head.Length)
            {
                if (!await input.WaitToReadAsync(cancellationToken))
                {
                    return 0;
                }

                if (input.TryRead(out var next))
                {
                    (_head, _offset) = (next, 0);
                }
            }

            var n = Math.Min(buffer.Length, _head.Length - _offset);
            _head.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            output.TryWrite(buffer.ToArray()) ? ValueTask.CompletedTask : throw new IOException("the other end is closed");

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            output.TryComplete();
            base.Dispose(disposing);
        }
    }
}
