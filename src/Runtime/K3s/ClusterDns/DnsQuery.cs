using System.Buffers.Binary;
using System.Text;

namespace K3sLab.K3s.ClusterDns;

/// <summary>
/// A DNS query as a stub resolver sends it (RFC 1035 4.1): one question, maybe an EDNS(0) OPT record in the
/// additional section (RFC 6891), whose payload size lets a UDP answer grow past 512 bytes. Pure.
/// </summary>
internal sealed record DnsQuery(ushort Id, bool RecursionDesired, int Opcode, string Name, ushort Type, ushort Class, int? EdnsPayloadSize)
{
    /// <summary>
    /// Parses a query, or returns null with <paramref name="error"/>: a message shorter than its header, a response,
    /// or a question that runs past the end is malformed (FORMERR); a query without exactly one question cannot be
    /// answered (FORMERR too, as most servers do).
    /// </summary>
    public static DnsQuery? Parse(ReadOnlySpan<byte> message, out int error)
    {
        error = DnsType.FormatError;
        if (message.Length < 12 || (message[2] & 0x80) != 0)
        {
            return null;
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var opcode = (message[2] >> 3) & 0x0F;
        var rd = (message[2] & 0x01) != 0;
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var additional = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (questions != 1)
        {
            return null;
        }

        var offset = 12;
        if (ReadName(message, ref offset) is not { } name || offset + 4 > message.Length)
        {
            return null;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
        offset += 4;
        int? edns = null;
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]) + BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        for (var i = 0; i < answers + additional && offset < message.Length; i++)
        {
            if (ReadName(message, ref offset) is null || offset + 10 > message.Length)
            {
                return null;
            }

            var recordType = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var recordClass = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            if (recordType == DnsType.Opt && i >= answers)
            {
                edns = recordClass;
            }

            offset += 10 + length;
        }

        error = DnsType.NoError;
        return new DnsQuery(id, rd, opcode, name, type, @class, edns);
    }

    /// <summary>The query as a stub would send it (recursion desired, no EDNS): how the server asks its upstreams itself.</summary>
    public byte[] Encode()
    {
        var buffer = new List<byte>(64);
        DnsResponse.WriteUInt16(buffer, Id);
        buffer.Add((byte)((Opcode << 3) | (RecursionDesired ? 0x01 : 0)));
        buffer.Add(0);
        DnsResponse.WriteUInt16(buffer, 1);
        buffer.AddRange(new byte[6]);
        DnsResponse.WriteName(buffer, Name);
        DnsResponse.WriteUInt16(buffer, Type);
        DnsResponse.WriteUInt16(buffer, Class);
        return [.. buffer];
    }

    /// <summary>
    /// Reads a (possibly compressed) name at <paramref name="offset"/>, lowercased, without the trailing dot ("" is
    /// the root); null when it is malformed or its pointers loop.
    /// </summary>
    internal static string? ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var name = new StringBuilder();
        var position = offset;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            if (position >= message.Length)
            {
                return null;
            }

            var length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length)
                {
                    return null;
                }

                if (!jumped)
                {
                    offset = position + 2;
                }

                jumped = true;
                position = ((length & 0x3F) << 8) | message[position + 1];
                continue;
            }

            if (length == 0)
            {
                if (!jumped)
                {
                    offset = position + 1;
                }

                return name.ToString().ToLowerInvariant();
            }

            if (length > 63 || position + 1 + length > message.Length || name.Length + length > 254)
            {
                return null;
            }

            if (name.Length > 0)
            {
                name.Append('.');
            }

            name.Append(Encoding.ASCII.GetString(message.Slice(position + 1, length)));
            position += 1 + length;
        }

        return null;
    }
}
