using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// The names of a subjectAltName extension that Go reads (DNS, email, IP, URI), each kept with its DER encoding so an
/// issued certificate repeats exactly what was asked for; other kinds of name are dropped, as Go drops them.
/// </summary>
internal sealed record SubjectAltNames(
    IReadOnlyList<(string Name, ReadOnlyMemory<byte> Der)> DnsNames,
    IReadOnlyList<(string Name, ReadOnlyMemory<byte> Der)> Emails,
    IReadOnlyList<(IPAddress Address, ReadOnlyMemory<byte> Der)> IpAddresses,
    IReadOnlyList<(string Uri, ReadOnlyMemory<byte> Der)> Uris)
{
    /// <summary>The subjectAltName extension's OID.</summary>
    public const string Oid = "2.5.29.17";

    public static readonly SubjectAltNames None = new([], [], [], []);

    private static readonly Asn1Tag Email = new(TagClass.ContextSpecific, 1);
    private static readonly Asn1Tag Dns = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag Uri = new(TagClass.ContextSpecific, 6);
    private static readonly Asn1Tag Ip = new(TagClass.ContextSpecific, 7);

    public bool IsEmpty => DnsNames.Count + Emails.Count + IpAddresses.Count + Uris.Count == 0;

    /// <summary>Decodes the extension's value (a SEQUENCE OF GeneralName).</summary>
    /// <exception cref="CryptographicException">An IP address is neither 4 nor 16 bytes.</exception>
    public static SubjectAltNames Parse(byte[] extensionValue)
    {
        var (dns, emails, ips, uris) = (new List<(string, ReadOnlyMemory<byte>)>(), new List<(string, ReadOnlyMemory<byte>)>(), new List<(IPAddress, ReadOnlyMemory<byte>)>(), new List<(string, ReadOnlyMemory<byte>)>());
        var names = new AsnReader(extensionValue, AsnEncodingRules.DER).ReadSequence();
        while (names.HasData)
        {
            var tag = names.PeekTag();
            var der = names.ReadEncodedValue();
            var one = new AsnReader(der, AsnEncodingRules.DER);
            if (tag.HasSameClassAndValue(Dns))
            {
                dns.Add((one.ReadCharacterString(UniversalTagNumber.IA5String, Dns), der));
            }
            else if (tag.HasSameClassAndValue(Email))
            {
                emails.Add((one.ReadCharacterString(UniversalTagNumber.IA5String, Email), der));
            }
            else if (tag.HasSameClassAndValue(Uri))
            {
                uris.Add((one.ReadCharacterString(UniversalTagNumber.IA5String, Uri), der));
            }
            else if (tag.HasSameClassAndValue(Ip))
            {
                var bytes = one.ReadOctetString(Ip);
                if (bytes.Length is not (4 or 16))
                {
                    throw new CryptographicException($"x509: cannot parse IP address of length {bytes.Length}");
                }

                ips.Add((new IPAddress(bytes), der));
            }
        }

        return new SubjectAltNames(dns, emails, ips, uris);
    }

    /// <summary>The extension an issued certificate carries for these names (Go's order: DNS, email, IP, URI); null when there are none.</summary>
    public X509Extension? ToExtension(bool subjectIsEmpty)
    {
        if (IsEmpty)
        {
            return null;
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var der in DnsNames.Select(n => n.Der).Concat(Emails.Select(n => n.Der)).Concat(IpAddresses.Select(n => n.Der)).Concat(Uris.Select(n => n.Der)))
            {
                writer.WriteEncodedValue(der.Span);
            }
        }

        // RFC 5280 4.2.1.6: critical when the subject is empty, as Go marks it.
        return new X509Extension(Oid, writer.Encode(), critical: subjectIsEmpty);
    }
}
