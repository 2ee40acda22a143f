using System.IO.Compression;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// Compresses the header blocks this end sends: one zlib stream per connection, each block ended by a sync flush
/// (.NET's ZLibStream flushes with Z_SYNC_FLUSH), so the peer can inflate each block as it arrives. No preset
/// dictionary is used: the zlib header then carries no FDICT flag, and Go's zlib reader (which spdystream creates
/// with the SPDY dictionary) only asks for a dictionary when the flag is set, so it reads these blocks as they are.
/// Not thread-safe: the connection's write lock serializes it.
/// </summary>
internal sealed class SpdyHeaderDeflater : IDisposable
{
    private readonly MemoryStream _buffer = new();
    private readonly ZLibStream _zlib;

    public SpdyHeaderDeflater() => _zlib = new ZLibStream(_buffer, CompressionLevel.Fastest, leaveOpen: true);

    public byte[] Deflate(SpdyHeaders headers)
    {
        _zlib.Write(headers.Encode());
        _zlib.Flush();
        var bytes = _buffer.ToArray();
        _buffer.SetLength(0);
        return bytes;
    }

    public void Dispose()
    {
        _zlib.Dispose();
        _buffer.Dispose();
    }
}
