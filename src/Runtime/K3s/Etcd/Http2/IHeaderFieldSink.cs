namespace K3sLab.K3s.Etcd.Http2;

/// <summary>Receives what <see cref="HpackDecoder"/> reads from a header block, in order.</summary>
internal interface IHeaderFieldSink
{
    /// <summary>
    /// One header field. The spans are only valid during the call. <paramref name="neverIndexed"/> is true for the
    /// "never indexed" literal form, which an intermediary must keep (RFC 7541 section 6.2.3).
    /// </summary>
    void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool neverIndexed);

    /// <summary>A dynamic table size update at the start of the block.</summary>
    void OnTableSizeUpdate(int maxSize);
}
