using System.Buffers.Binary;
using System.Text;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// A SPDY/3 name/value header block (draft 3, section 2.6.10) before compression: a 32-bit count of pairs, then for
/// each a 32-bit length and the name (lowercase), a 32-bit length and the value; several values of one name are
/// joined with NUL. Names compare case-insensitively. Pure.
/// </summary>
internal sealed class SpdyHeaders
{
    private readonly List<(string Name, string Value)> _pairs = [];

    public SpdyHeaders()
    {
    }

    public SpdyHeaders(IEnumerable<(string Name, string Value)> pairs)
    {
        foreach (var (name, value) in pairs)
        {
            Add(name, value);
        }
    }

    public IReadOnlyList<(string Name, string Value)> Pairs => _pairs;

    /// <summary>The first value of <paramref name="name"/>, or null.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var (n, v) in _pairs)
            {
                if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                {
                    var nul = v.IndexOf('\0', StringComparison.Ordinal);
                    return nul < 0 ? v : v[..nul];
                }
            }

            return null;
        }
    }

    public SpdyHeaders Add(string name, string value)
    {
        _pairs.Add((name.ToLowerInvariant(), value));
        return this;
    }

    /// <summary>The uncompressed block.</summary>
    public byte[] Encode()
    {
        var size = 4 + _pairs.Sum(p => 8 + Encoding.UTF8.GetByteCount(p.Name) + Encoding.UTF8.GetByteCount(p.Value));
        var block = new byte[size];
        var span = block.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)_pairs.Count);
        var at = 4;
        foreach (var (name, value) in _pairs)
        {
            at += Write(span[at..], name);
            at += Write(span[at..], value);
        }

        return block;

        static int Write(Span<byte> into, string text)
        {
            var n = Encoding.UTF8.GetBytes(text, into[4..]);
            BinaryPrimitives.WriteUInt32BigEndian(into, (uint)n);
            return 4 + n;
        }
    }

    /// <summary>Parses an uncompressed block.</summary>
    /// <exception cref="SpdyProtocolException">The block is truncated or its lengths do not add up.</exception>
    public static SpdyHeaders Decode(ReadOnlySpan<byte> block)
    {
        var headers = new SpdyHeaders();
        if (block.Length < 4)
        {
            throw new SpdyProtocolException("a header block shorter than its pair count");
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(block);
        var at = 4;
        for (var i = 0u; i < count; i++)
        {
            var name = Read(block, ref at);
            var value = Read(block, ref at);
            headers._pairs.Add((name.ToLowerInvariant(), value));
        }

        return at == block.Length ? headers : throw new SpdyProtocolException("a header block with bytes after its last pair");

        static string Read(ReadOnlySpan<byte> block, ref int at)
        {
            if (block.Length - at < 4)
            {
                throw new SpdyProtocolException("a truncated header block");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(block[at..]);
            at += 4;
            if (length > (uint)(block.Length - at))
            {
                throw new SpdyProtocolException("a header length past the end of its block");
            }

            var text = Encoding.UTF8.GetString(block.Slice(at, (int)length));
            at += (int)length;
            return text;
        }
    }
}
