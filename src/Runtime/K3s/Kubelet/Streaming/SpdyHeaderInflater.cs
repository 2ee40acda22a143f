using System.Runtime.InteropServices;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// Decompresses the header blocks a peer sends: one zlib stream per connection and direction, every block ended by
/// a sync flush, the stream compressed against <see cref="SpdyDictionary"/> (Go's framer announces it in the zlib
/// header, so inflate stops with Z_NEED_DICT and is given the dictionary). .NET's ZLibStream cannot set a preset
/// dictionary, so this calls the system zlib (<c>libz.so.1</c>, in every Debian/Ubuntu base image) directly. Not
/// thread-safe: one reader per connection.
/// </summary>
internal sealed unsafe partial class SpdyHeaderInflater : IDisposable
{
    private const int ZOk = 0;
    private const int ZStreamEnd = 1;
    private const int ZNeedDict = 2;
    private const int ZBufError = -5;
    private const int ZSyncFlush = 2;

    // z_stream on LP64: next_in, avail_in(+pad), total_in, next_out, avail_out(+pad), total_out, msg, state, zalloc,
    // zfree, opaque, data_type(+pad), adler, reserved: 112 bytes, zeroed so zlib uses its own allocator.
    private const int ZStreamSize = 112;
    private const int NextIn = 0;
    private const int AvailIn = 8;
    private const int NextOut = 24;
    private const int AvailOut = 32;

    private readonly byte* _stream;
    private bool _disposed;

    public SpdyHeaderInflater()
    {
        _stream = (byte*)NativeMemory.AllocZeroed(ZStreamSize);
        var code = InflateInit(_stream, "1.2.11", ZStreamSize);
        if (code != ZOk)
        {
            NativeMemory.Free(_stream);
            throw new InvalidOperationException($"zlib inflateInit failed with {code}");
        }
    }

    /// <summary>Inflates one compressed header block (the rest of a SYN_STREAM, SYN_REPLY or HEADERS frame).</summary>
    /// <exception cref="SpdyProtocolException">The bytes are not a valid continuation of the stream.</exception>
    public byte[] Inflate(ReadOnlySpan<byte> compressed)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var output = new MemoryStream();
        var chunk = new byte[4096];
        fixed (byte* input = compressed)
        fixed (byte* buffer = chunk)
        {
            *(byte**)(_stream + NextIn) = input;
            *(uint*)(_stream + AvailIn) = (uint)compressed.Length;
            while (true)
            {
                *(byte**)(_stream + NextOut) = buffer;
                *(uint*)(_stream + AvailOut) = (uint)chunk.Length;
                var code = InflateCall(_stream, ZSyncFlush);
                if (code == ZNeedDict)
                {
                    fixed (byte* dictionary = SpdyDictionary.Bytes)
                    {
                        code = InflateSetDictionary(_stream, dictionary, (uint)SpdyDictionary.Bytes.Length);
                    }

                    if (code != ZOk)
                    {
                        throw new SpdyProtocolException("the peer compressed its headers against another dictionary than SPDY/3's");
                    }

                    continue;
                }

                var produced = chunk.Length - (int)*(uint*)(_stream + AvailOut);
                output.Write(chunk, 0, produced);
                if (code is not (ZOk or ZBufError or ZStreamEnd))
                {
                    throw new SpdyProtocolException($"a header block that does not inflate (zlib {code})");
                }

                if (*(uint*)(_stream + AvailIn) == 0 && produced < chunk.Length)
                {
                    break;
                }

                if (code == ZStreamEnd || (code == ZBufError && produced == 0))
                {
                    break;
                }
            }

            *(byte**)(_stream + NextIn) = null;
            *(byte**)(_stream + NextOut) = null;
        }

        return output.ToArray();
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _ = InflateEnd(_stream);
            NativeMemory.Free(_stream);
        }
    }

    [LibraryImport("libz.so.1", EntryPoint = "inflateInit_", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int InflateInit(byte* stream, string version, int streamSize);

    [LibraryImport("libz.so.1", EntryPoint = "inflate")]
    private static partial int InflateCall(byte* stream, int flush);

    [LibraryImport("libz.so.1", EntryPoint = "inflateSetDictionary")]
    private static partial int InflateSetDictionary(byte* stream, byte* dictionary, uint length);

    [LibraryImport("libz.so.1", EntryPoint = "inflateEnd")]
    private static partial int InflateEnd(byte* stream);
}
