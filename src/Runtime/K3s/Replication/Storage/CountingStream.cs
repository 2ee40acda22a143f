namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// A write-only pass-through that counts the bytes written and refuses any beyond <paramref name="limit"/>, so a
/// snapshot writer that announced the wrong size is caught before it overruns its array or file.
/// </summary>
internal sealed class CountingStream(Stream inner, long limit) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Written + buffer.Length > limit)
        {
            throw new InvalidOperationException($"the snapshot's writer wrote more snapshot bytes than the {limit} it announced");
        }

        inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
