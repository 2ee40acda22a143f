namespace K3sLab.K3s.Replication.State;

/// <summary>Reads what <see cref="WireWriter"/> wrote; any malformed or truncated input is an <see cref="InvalidDataException"/>.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position == _data.Length;

    public byte Byte()
    {
        if (_position >= _data.Length)
        {
            throw Truncated();
        }

        return _data[_position++];
    }

    public ulong Unsigned()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Byte();
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("a store command holds a varint longer than 64 bits");
    }

    public long Signed()
    {
        var raw = Unsigned();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>A count or length, refused when it cannot fit in what is left of the input.</summary>
    public int Count()
    {
        var count = Unsigned();
        if (count > (ulong)(_data.Length - _position))
        {
            throw Truncated();
        }

        return (int)count;
    }

    public byte[] Bytes()
    {
        var length = Count();
        var bytes = _data.Slice(_position, length).ToArray();
        _position += length;
        return bytes;
    }

    private static InvalidDataException Truncated() => new("a store command ends before its last field; the entry is corrupt");
}
