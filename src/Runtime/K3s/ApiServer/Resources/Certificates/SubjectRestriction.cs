using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ApiServer.Resources.Certificates;

/// <summary>
/// kube-apiserver 1.33's <c>CertificateSubjectRestriction</c> admission plugin: a CertificateSigningRequest created
/// for the <c>kubernetes.io/kube-apiserver-client</c> signer may not ask for the <c>system:masters</c> organization,
/// since a certificate in that group bypasses authorization and cannot be revoked. It checks creates of the main
/// resource only, after validation; the caller wraps the message in a 403 for the object. Pure.
/// </summary>
internal static class SubjectRestriction
{
    public const string KubeApiServerClientSigner = "kubernetes.io/kube-apiserver-client";

    private const string MastersGroup = "system:masters";
    private const string OrganizationOid = "2.5.4.10";

    /// <summary>The reason the create of <paramref name="csr"/> is forbidden, or null when it is allowed.</summary>
    public static string? Check(JsonObject csr)
    {
        var spec = csr.Obj("spec");
        if (spec.Str("signerName") != KubeApiServerClientSigner)
        {
            return null;
        }

        var (request, error) = CertificateRequestPem.Parse(CertificateRequestPem.Bytes(spec, "request"));
        if (request is null)
        {
            return $"failed to parse CSR: {error}";
        }

        return Organizations(request.SubjectName).Contains(MastersGroup, StringComparer.Ordinal)
            ? $"use of {KubeApiServerClientSigner} signer with {MastersGroup} group is not allowed"
            : null;
    }

    /// <summary>Every organization (O) value in the subject, multi-valued RDNs included, as Go's <c>pkix.Name</c> collects them.</summary>
    internal static List<string> Organizations(X500DistinguishedName subject)
    {
        var organizations = new List<string>();
        try
        {
            var name = new AsnReader(subject.RawData, AsnEncodingRules.BER).ReadSequence();
            while (name.HasData)
            {
                var rdn = name.ReadSetOf(skipSortOrderValidation: true);
                while (rdn.HasData)
                {
                    var attribute = rdn.ReadSequence();
                    var type = attribute.ReadObjectIdentifier();
                    if (type == OrganizationOid && DirectoryString(attribute) is { } value)
                    {
                        organizations.Add(value);
                    }
                }
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            // A subject .NET could load but not walk names nobody: Go would have refused the request earlier.
        }

        return organizations;
    }

    private static string? DirectoryString(AsnReader attribute)
    {
        var tag = attribute.PeekTag();
        if (tag.TagClass != TagClass.Universal)
        {
            return null;
        }

        return (UniversalTagNumber)tag.TagValue switch
        {
            UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String
                or UniversalTagNumber.T61String or UniversalTagNumber.NumericString or UniversalTagNumber.BMPString
                => attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue),
            _ => null,
        };
    }
}
