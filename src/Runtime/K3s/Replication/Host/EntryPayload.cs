using System.Buffers.Binary;

namespace K3sLab.K3s.Replication.Host;

/// <summary>What a normal log entry carries: a client request to apply to the store, a member publishing its name, or a member's new peer URLs.</summary>
internal enum PayloadKind : byte
{
    /// <summary>An encoded store command (see <c>StoreCommandCodec</c>).</summary>
    StoreRequest = 1,

    /// <summary>A started member's name and client URLs, as etcd publishes member attributes.</summary>
    PublishMember = 2,

    /// <summary>A member's new peer URLs (etcd's MemberUpdate): its id, then the URLs.</summary>
    UpdatePeerUrls = 3,
}

/// <summary>
/// The envelope of every normal entry: kind, the member that proposed it and that member's request number, then
/// the body. Every member applies every entry; the origin uses (member, request) to find the caller waiting for
/// the result, which it computes itself from the deterministic apply.
/// </summary>
/// <remarks>Layout, little-endian: kind (1 byte), origin (8), request (8), body (rest).</remarks>
internal readonly record struct EntryPayload(PayloadKind Kind, ulong Origin, ulong Request, ReadOnlyMemory<byte> Body)
{
    private const int HeaderBytes = 17;

    public byte[] Encode()
    {
        var bytes = new byte[HeaderBytes + Body.Length];
        bytes[0] = (byte)Kind;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), Origin);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(9), Request);
        Body.Span.CopyTo(bytes.AsSpan(HeaderBytes));
        return bytes;
    }

    /// <summary>Reads an entry's data; null for the empty no-op entry a new leader appends.</summary>
    public static EntryPayload? Decode(byte[] data)
    {
        if (data.Length == 0)
        {
            return null;
        }

        if (data.Length < HeaderBytes || !Enum.IsDefined((PayloadKind)data[0]))
        {
            throw new InvalidDataException($"a log entry of {data.Length} bytes has an unknown layout (kind {data[0]}); this member's binary may be older than the cluster's");
        }

        return new EntryPayload((PayloadKind)data[0], BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(1)), BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(9)), data.AsMemory(HeaderBytes));
    }
}
