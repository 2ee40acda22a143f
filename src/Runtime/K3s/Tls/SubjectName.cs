using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Tls;

/// <summary>
/// The user and groups a certificate or request subject names, as Go's <c>pkix.Name</c> collects them (which is what
/// kube-apiserver's client-certificate authenticator and its CSR checks read): every attribute of every RDN in order,
/// multi-valued RDNs included; the common name is the last one, the organizations all of them. Values that are not
/// directory strings are skipped, and a subject that does not walk names nobody. Pure.
/// </summary>
internal sealed record SubjectName(string CommonName, IReadOnlyList<string> Organizations)
{
    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";

    public static SubjectName Of(X500DistinguishedName subject)
    {
        var commonName = string.Empty;
        var organizations = new List<string>();
        try
        {
            var rdns = new AsnReader(subject.RawData, AsnEncodingRules.BER).ReadSequence();
            while (rdns.HasData)
            {
                var set = rdns.ReadSetOf(skipSortOrderValidation: true);
                while (set.HasData)
                {
                    var attribute = set.ReadSequence();
                    var type = attribute.ReadObjectIdentifier();
                    if (DirectoryString(attribute) is not { } value)
                    {
                        continue;
                    }

                    if (type == CommonNameOid)
                    {
                        commonName = value;
                    }
                    else if (type == OrganizationOid)
                    {
                        organizations.Add(value);
                    }
                }
            }
        }
        catch (AsnContentException)
        {
            return new SubjectName(string.Empty, []);
        }

        return new SubjectName(commonName, organizations);
    }

    private static string? DirectoryString(AsnReader attribute)
    {
        var tag = attribute.PeekTag();
        return tag.TagClass == TagClass.Universal && (UniversalTagNumber)tag.TagValue is UniversalTagNumber.UTF8String
            or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String or UniversalTagNumber.T61String
            or UniversalTagNumber.NumericString or UniversalTagNumber.BMPString
            ? attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue)
            : null;
    }
}
