namespace K3sLab.K3s.Etcd.Http2;

/// <summary>
/// Re-encodes the client's header blocks of one connection for the server: each block is decoded with the
/// connection's HPACK state, its <c>:authority</c> normalised (<see cref="Authority"/>), and every field written back
/// as a literal without indexing (never-indexed ones stay never-indexed), with no Huffman coding. The server's
/// decoder so never adds to its dynamic table, and stays consistent whatever the client's encoder did; dynamic
/// table size updates are passed on so the server still enforces its limit. Not thread-safe.
/// </summary>
internal sealed class HeaderBlockRewriter : IHeaderFieldSink
{
    /// <summary>Larger rewritten blocks are refused: far beyond any header list a server accepts (Kestrel: 32 KiB).</summary>
    public const int MaxOutputBytes = 1024 * 1024;

    private const byte LiteralWithoutIndexing = 0x00;
    private const byte LiteralNeverIndexed = 0x10;
    private const byte TableSizeUpdate = 0x20;

    private readonly HpackDecoder _decoder = new();
    private byte[] _output = new byte[1024];
    private int _written;
    private bool _tooLarge;

    /// <summary>The last rewritten block; valid until the next call.</summary>
    public ReadOnlySpan<byte> Output => _output.AsSpan(0, _written);

    /// <summary>
    /// Rewrites one complete header block into <see cref="Output"/>; false when it is malformed or too large, after
    /// which this rewriter's HPACK state is unusable.
    /// </summary>
    public bool TryRewrite(ReadOnlySpan<byte> block)
    {
        _written = 0;
        _tooLarge = false;
        return _decoder.TryDecode(block, this) && !_tooLarge;
    }

    void IHeaderFieldSink.OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed)
    {
        if (name.SequenceEqual(":authority"u8))
        {
            value = Authority.Normalize(value);
        }

        var destination = Reserve(name.Length + value.Length + 12);
        if (destination.IsEmpty)
        {
            return;
        }

        var n = HpackInteger.Write(destination, 0, 4, neverIndexed ? LiteralNeverIndexed : LiteralWithoutIndexing);
        n += WriteString(destination[n..], name);
        n += WriteString(destination[n..], value);
        _written += n;
    }

    void IHeaderFieldSink.OnTableSizeUpdate(int maxSize)
    {
        var destination = Reserve(6);
        if (!destination.IsEmpty)
        {
            _written += HpackInteger.Write(destination, maxSize, 5, TableSizeUpdate);
        }
    }

    private static int WriteString(Span<byte> destination, ReadOnlySpan<byte> text)
    {
        var n = HpackInteger.Write(destination, text.Length, 7, 0x00);
        text.CopyTo(destination[n..]);
        return n + text.Length;
    }

    /// <summary>Room for <paramref name="bytes"/> more; empty (and the block marked too large) past the limit.</summary>
    private Span<byte> Reserve(int bytes)
    {
        if (_tooLarge || _written + bytes > MaxOutputBytes)
        {
            _tooLarge = true;
            return default;
        }

        if (_output.Length - _written < bytes)
        {
            Array.Resize(ref _output, Math.Max(_written + bytes, _output.Length * 2));
        }

        return _output.AsSpan(_written);
    }
}
