using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace K3sLab.K3s.ClusterDns;

/// <summary>
/// Writes the answer to a query (RFC 1035 4.1): the question echoed, then the answer, authority and additional
/// sections, names written in full (no compression). The cluster's answers are authoritative (AA) and say recursion
/// is available (RA), as CoreDNS's do. An answer larger than <c>limit</c> (512 bytes over UDP, or the query's EDNS
/// payload size) keeps only its header and question with the TC bit set, so the stub asks again over TCP; a query
/// that carried an OPT record gets one back. Pure.
/// </summary>
internal static class DnsResponse
{
    /// <summary>The EDNS payload size this server offers, the value DNS Flag Day 2020 settled on.</summary>
    public const ushort EdnsPayloadSize = 1232;

    public static byte[] Write(DnsQuery query, DnsAnswer answer, int limit)
    {
        var authority = answer.Authority is { } soa ? new[] { soa } : [];
        var full = Build(query, answer.ResponseCode, answer.Answers, authority, answer.Additional, truncated: false);
        return full.Length <= limit ? full : Build(query, answer.ResponseCode, [], [], [], truncated: true);
    }

    /// <summary>An answer with no records: an error code (FORMERR, SERVFAIL, NOTIMP, REFUSED) or an empty NOERROR.</summary>
    public static byte[] Error(DnsQuery query, int responseCode) => Build(query, responseCode, [], [], [], truncated: false);

    /// <summary>A FORMERR for a message too broken to parse: its id echoed, no question.</summary>
    public static byte[] FormatError(ReadOnlySpan<byte> message)
    {
        var reply = new byte[12];
        if (message.Length >= 2)
        {
            message[..2].CopyTo(reply);
        }

        reply[2] = 0x80;
        reply[3] = DnsType.FormatError;
        return reply;
    }

    private static byte[] Build(DnsQuery query, int code, IReadOnlyList<DnsRecord> answers, IReadOnlyList<DnsRecord> authority, IReadOnlyList<DnsRecord> additional, bool truncated)
    {
        var buffer = new List<byte>(512);
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, query.Id);
        header[2] = (byte)(0x80 | (query.Opcode << 3) | 0x04 | (truncated ? 0x02 : 0) | (query.RecursionDesired ? 0x01 : 0));
        header[3] = (byte)(0x80 | (code & 0x0F));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)answers.Count);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), (ushort)authority.Count);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)(additional.Count + (query.EdnsPayloadSize is null ? 0 : 1)));
        buffer.AddRange(header);
        WriteName(buffer, query.Name);
        WriteUInt16(buffer, query.Type);
        WriteUInt16(buffer, query.Class);
        foreach (var record in answers.Concat(authority).Concat(additional))
        {
            WriteRecord(buffer, record);
        }

        if (query.EdnsPayloadSize is not null)
        {
            buffer.Add(0);
            WriteUInt16(buffer, DnsType.Opt);
            WriteUInt16(buffer, EdnsPayloadSize);
            WriteUInt32(buffer, 0);
            WriteUInt16(buffer, 0);
        }

        return [.. buffer];
    }

    private static void WriteRecord(List<byte> buffer, DnsRecord record)
    {
        WriteName(buffer, record.Name);
        WriteUInt16(buffer, record.Type);
        WriteUInt16(buffer, DnsType.ClassIn);
        WriteUInt32(buffer, record.Ttl);
        var lengthAt = buffer.Count;
        WriteUInt16(buffer, 0);
        switch (record.Data)
        {
            case IPAddress address when address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6:
                buffer.AddRange(address.GetAddressBytes());
                break;
            case string target:
                WriteName(buffer, target);
                break;
            case SrvData srv:
                WriteUInt16(buffer, srv.Priority);
                WriteUInt16(buffer, srv.Weight);
                WriteUInt16(buffer, srv.Port);
                WriteName(buffer, srv.Target);
                break;
            case SoaData soa:
                WriteName(buffer, soa.PrimaryServer);
                WriteName(buffer, soa.Mailbox);
                WriteUInt32(buffer, soa.Serial);
                WriteUInt32(buffer, soa.Refresh);
                WriteUInt32(buffer, soa.Retry);
                WriteUInt32(buffer, soa.Expire);
                WriteUInt32(buffer, soa.Minimum);
                break;
            default:
                throw new ArgumentException($"record data of {record.Data.GetType().Name} cannot be written for type {record.Type}", nameof(record));
        }

        var length = buffer.Count - lengthAt - 2;
        buffer[lengthAt] = (byte)(length >> 8);
        buffer[lengthAt + 1] = (byte)length;
    }

    internal static void WriteName(List<byte> buffer, string name)
    {
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            buffer.Add((byte)Math.Min(bytes.Length, 63));
            buffer.AddRange(bytes.Take(63));
        }

        buffer.Add(0);
    }

    internal static void WriteUInt16(List<byte> buffer, ushort value)
    {
        buffer.Add((byte)(value >> 8));
        buffer.Add((byte)value);
    }

    private static void WriteUInt32(List<byte> buffer, uint value)
    {
        WriteUInt16(buffer, (ushort)(value >> 16));
        WriteUInt16(buffer, (ushort)value);
    }
}
