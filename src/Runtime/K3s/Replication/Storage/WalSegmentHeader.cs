namespace K3sLab.K3s.Replication.Storage;

/// <summary>
/// The first record of a segment. <see cref="PreviousCrc"/> is the checksum of the previous segment's last record, so
/// recovery can tell a stale or foreign segment from the one that really followed; the header's own checksum starts
/// from 0 and every later record in the segment chains onto it.
/// </summary>
internal readonly record struct WalSegmentHeader(ulong Sequence, ulong FirstIndex, WalMetadata Metadata, uint PreviousCrc)
{
    /// <summary>"K3WL" little-endian.</summary>
    public const uint Magic = 0x4C57334B;

    public const ushort Version = 1;

    public const int Size = 4 + 2 + 8 + 8 + 8 + 8 + 4;
}
