namespace K3sLab.K3s.Etcd.Http2;

/// <summary>
/// HPACK's dynamic table (RFC 7541 sections 2.3.2 and 4): newest entry first, each counting its name, value and 32
/// bytes against <see cref="MaxSize"/>, oldest evicted first. Entries sit in a ring, one array per entry holding the
/// name then the value. Not thread-safe: one per connection, used by its reader.
/// </summary>
internal sealed class HpackDynamicTable
{
    private const int EntryOverhead = 32;

    private Entry[] _ring = new Entry[16];
    private int _newest = -1; // slot of the newest entry
    private int _count;

    public HpackDynamicTable(int maxSize) => MaxSize = maxSize;

    public int Count => _count;

    /// <summary>Sum of the entries' sizes (name + value + 32 each).</summary>
    public int Size { get; private set; }

    public int MaxSize { get; private set; }

    /// <summary>The entry at <paramref name="index"/>, 0 being the newest; the caller checks the index against <see cref="Count"/>.</summary>
    public ReadOnlySpan<byte> Name(int index)
    {
        var entry = _ring[Slot(index)];
        return entry.Data.AsSpan(0, entry.NameLength);
    }

    /// <summary>The value of the entry at <paramref name="index"/>, 0 being the newest.</summary>
    public ReadOnlySpan<byte> Value(int index)
    {
        var entry = _ring[Slot(index)];
        return entry.Data.AsSpan(entry.NameLength);
    }

    /// <summary>A dynamic table size update: evicts until the table fits.</summary>
    public void Resize(int maxSize)
    {
        MaxSize = maxSize;
        EvictTo(maxSize);
    }

    /// <summary>
    /// Adds an entry as the newest, evicting old ones to make room; an entry larger than the whole table empties it
    /// and is not added (section 4.4). The name and value are copied first, so they may point into an evicted entry.
    /// </summary>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var size = name.Length + value.Length + EntryOverhead;
        if (size > MaxSize)
        {
            EvictTo(0);
            return;
        }

        var data = new byte[name.Length + value.Length];
        name.CopyTo(data);
        value.CopyTo(data.AsSpan(name.Length));
        EvictTo(MaxSize - size);
        if (_count == _ring.Length)
        {
            var grown = new Entry[_ring.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                grown[_count - 1 - i] = _ring[Slot(i)];
            }

            _ring = grown;
            _newest = _count - 1;
        }

        _newest = (_newest + 1) % _ring.Length;
        _ring[_newest] = new Entry(data, name.Length);
        _count++;
        Size += size;
    }

    private void EvictTo(int size)
    {
        while (Size > size && _count > 0)
        {
            var oldest = Slot(_count - 1);
            var entry = _ring[oldest];
            Size -= entry.Data.Length + EntryOverhead;
            _ring[oldest] = default;
            _count--;
        }
    }

    private int Slot(int index) => (_newest - index + _ring.Length) % _ring.Length;

    private readonly record struct Entry(byte[] Data, int NameLength);
}
