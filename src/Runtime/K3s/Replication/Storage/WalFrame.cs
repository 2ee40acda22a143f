namespace K3sLab.K3s.Replication.Storage;

/// <summary>What reading the record framing at one offset found.</summary>
internal enum WalFrameStatus
{
    /// <summary>A whole record whose checksum matches.</summary>
    Valid,

    /// <summary>A length of zero: where preallocated or never-written zeroes begin.</summary>
    Zero,

    /// <summary>The framing or the length it declares runs past the end of the file.</summary>
    PastEnd,

    /// <summary>A length beyond the maximum record size.</summary>
    TooLong,

    /// <summary>A whole record whose checksum does not match.</summary>
    BadCrc,
}

/// <summary>
/// One record's framing: <c>u32 length | u32 crc | u8 type | payload</c>, little-endian, where length counts the type
/// byte and the payload and crc is CRC-32C over the length bytes, the type and the payload, continued from the
/// previous record's crc.
/// </summary>
internal readonly record struct WalFrame(WalFrameStatus Status, int Offset, int Length, uint StoredCrc, uint ComputedCrc, WalRecordType Type)
{
    public const int HeaderSize = 9;

    /// <summary>The bytes the record takes in the file.</summary>
    public int Size => 8 + Length;

    /// <summary>Where the payload begins.</summary>
    public int PayloadOffset => Offset + HeaderSize;

    public int PayloadLength => Length - 1;
}
