namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// Writes through to a file and sends it to the disk in paced steps as it grows (see <see cref="PacedWriteback"/>),
/// so a large file's dirty pages never pile up for its final fsync, and the WAL's fsyncs on the same disk do not
/// queue behind it.
/// </summary>
internal sealed class WritebackStream(FileStream file, long bytesPerSecond = PacedWriteback.DefaultBytesPerSecond, CancellationToken ct = default) : Stream
{
    private readonly PacedWriteback _writeback = new(file.SafeFileHandle, file.Position, bytesPerSecond, ct);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer);
        _writeback.Reached(file.Position);
    }

    public override void Flush() => file.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
