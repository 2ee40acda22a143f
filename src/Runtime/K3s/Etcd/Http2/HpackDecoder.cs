namespace K3sLab.K3s.Etcd.Http2;

/// <summary>
/// A stateful HPACK decoder (RFC 7541 section 6): one per connection direction, fed every header block in order,
/// since blocks add to and refer to its dynamic table. Not thread-safe. After a failed block its table no longer
/// matches the peer's and it must not be used again.
/// </summary>
internal sealed class HpackDecoder
{
    /// <summary>SETTINGS_HEADER_TABLE_SIZE's initial value (RFC 9113 section 6.5.2), the table's starting size.</summary>
    public const int DefaultMaxTableSize = 4096;

    private readonly HpackDynamicTable _table;
    private readonly int _maxTableSizeLimit;
    private byte[] _name = new byte[64];
    private byte[] _value = new byte[256];

    /// <param name="maxTableSizeLimit">The largest size update accepted: what this side advertised, or more.</param>
    public HpackDecoder(int maxTableSizeLimit = 64 * 1024)
    {
        _table = new HpackDynamicTable(DefaultMaxTableSize);
        _maxTableSizeLimit = maxTableSizeLimit;
    }

    public HpackDynamicTable Table => _table;

    /// <summary>Decodes one complete header block into <paramref name="sink"/>; false when it is malformed.</summary>
    public bool TryDecode(ReadOnlySpan<byte> block, IHeaderFieldSink sink)
    {
        var position = 0;
        var fieldSeen = false;
        while (position < block.Length)
        {
            var first = block[position];
            if ((first & 0x80) != 0)
            {
                // 6.1 Indexed Header Field.
                if (!HpackInteger.TryRead(block, ref position, 7, out var index) || !TryGetEntry(index, out var name, out var value))
                {
                    return false;
                }

                sink.OnField(name, value, neverIndexed: false);
                fieldSeen = true;
            }
            else if ((first & 0xC0) == 0x40)
            {
                // 6.2.1 Literal Header Field with Incremental Indexing.
                if (!TryReadLiteral(block, ref position, 6, out var name, out var value))
                {
                    return false;
                }

                sink.OnField(name, value, neverIndexed: false);
                _table.Add(name, value);
                fieldSeen = true;
            }
            else if ((first & 0xE0) == 0x20)
            {
                // 6.3 Dynamic Table Size Update: only before the block's first field (section 4.2).
                if (fieldSeen || !HpackInteger.TryRead(block, ref position, 5, out var size) || size > _maxTableSizeLimit)
                {
                    return false;
                }

                _table.Resize(size);
                sink.OnTableSizeUpdate(size);
            }
            else
            {
                // 6.2.2 Literal Header Field without Indexing (0000) and 6.2.3 Never Indexed (0001).
                var neverIndexed = (first & 0x10) != 0;
                if (!TryReadLiteral(block, ref position, 4, out var name, out var value))
                {
                    return false;
                }

                sink.OnField(name, value, neverIndexed);
                fieldSeen = true;
            }
        }

        return true;
    }

    private bool TryReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!HpackInteger.TryRead(block, ref position, prefixBits, out var nameIndex))
        {
            name = default;
            return false;
        }

        if (nameIndex == 0)
        {
            if (!TryReadString(block, ref position, ref _name, out name))
            {
                return false;
            }
        }
        else if (!TryGetEntry(nameIndex, out name, out _))
        {
            return false;
        }

        return TryReadString(block, ref position, ref _value, out value);
    }

    /// <summary>A string literal (section 5.2): raw bytes are returned in place; Huffman ones are decoded into <paramref name="scratch"/>.</summary>
    private static bool TryReadString(ReadOnlySpan<byte> block, ref int position, ref byte[] scratch, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (position >= block.Length)
        {
            return false;
        }

        var huffman = (block[position] & 0x80) != 0;
        if (!HpackInteger.TryRead(block, ref position, 7, out var length) || length > block.Length - position)
        {
            return false;
        }

        var encoded = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            text = encoded;
            return true;
        }

        var capacity = HpackHuffman.MaxDecodedLength(length);
        if (scratch.Length < capacity)
        {
            scratch = new byte[Math.Max(capacity, scratch.Length * 2)];
        }

        if (!HpackHuffman.TryDecode(encoded, scratch, out var written))
        {
            return false;
        }

        text = scratch.AsSpan(0, written);
        return true;
    }

    private bool TryGetEntry(int index, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        if (index >= 1 && index <= HpackStaticTable.Count)
        {
            name = HpackStaticTable.Name(index);
            value = HpackStaticTable.Value(index);
            return true;
        }

        var dynamic = index - HpackStaticTable.Count - 1;
        if (dynamic >= 0 && dynamic < _table.Count)
        {
            name = _table.Name(dynamic);
            value = _table.Value(dynamic);
            return true;
        }

        name = default;
        value = default;
        return false;
    }
}
