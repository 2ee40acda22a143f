using System.Buffers.Binary;
using System.Net;

namespace K3sLab.K3s.ClusterDns;

/// <summary>
/// Reads the answer section of an upstream server's response: its A, AAAA and CNAME records, names decompressed, so
/// they can follow an ExternalName Service's CNAME in the cluster's own answer (as CoreDNS resolves such a target
/// through its upstream). Other record types are skipped. Pure.
/// </summary>
internal static class UpstreamRecords
{
    /// <summary>The response code and the records, or null for a message that is not a well-formed response.</summary>
    public static (int Code, IReadOnlyList<DnsRecord> Records)? Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12 || (message[2] & 0x80) == 0)
        {
            return null;
        }

        var code = message[3] & 0x0F;
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var offset = 12;
        for (var i = 0; i < questions; i++)
        {
            if (DnsQuery.ReadName(message, ref offset) is null || (offset += 4) > message.Length)
            {
                return null;
            }
        }

        var records = new List<DnsRecord>();
        for (var i = 0; i < answers; i++)
        {
            if (DnsQuery.ReadName(message, ref offset) is not { } name || offset + 10 > message.Length)
            {
                return null;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            var data = offset + 10;
            if (data + length > message.Length)
            {
                return null;
            }

            switch (type)
            {
                case DnsType.A when length == 4:
                case DnsType.Aaaa when length == 16:
                    records.Add(new DnsRecord(name, type, ttl, new IPAddress(message.Slice(data, length))));
                    break;
                case DnsType.Cname:
                    var at = data;
                    if (DnsQuery.ReadName(message, ref at) is { } target)
                    {
                        records.Add(new DnsRecord(name, type, ttl, target));
                    }

                    break;
            }

            offset = data + length;
        }

        return (code, records);
    }
}
