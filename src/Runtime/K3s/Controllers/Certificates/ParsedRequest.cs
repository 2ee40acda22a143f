using System.Formats.Asn1;
using K3sLab.K3s.Tls;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// A PKCS#10 request as the signers see it (Go's <c>x509.CertificateRequest</c>): the subject verbatim, its common
/// name and organizations, and the names of its subjectAltName extension. Parsing does not check the request's
/// signature (Go's <c>x509.ParseCertificateRequest</c> does not either); <see cref="CsrCertificates.Issue"/> does,
/// as upstream's authority does when it signs.
/// </summary>
internal sealed class ParsedRequest
{
    private ParsedRequest(string pem, CertificateRequest request)
    {
        Pem = pem;
        Subject = request.SubjectName;
        PublicKey = request.PublicKey;
        var names = SubjectName.Of(request.SubjectName);
        CommonName = names.CommonName;
        Organizations = names.Organizations;

        if (request.CertificateExtensions.FirstOrDefault(e => e.Oid?.Value == SubjectAltNames.Oid) is { } san)
        {
            AltNames = SubjectAltNames.Parse(san.RawData);
        }
    }

    /// <summary>The request as PEM, for the signature check when it is signed.</summary>
    public string Pem { get; }

    public X500DistinguishedName Subject { get; }

    public PublicKey PublicKey { get; }

    /// <summary>The subject's (last) common name, empty when it has none.</summary>
    public string CommonName { get; }

    /// <summary>The subject's organizations (Kubernetes groups), in order.</summary>
    public IReadOnlyList<string> Organizations { get; }

    public SubjectAltNames AltNames { get; } = SubjectAltNames.None;

    /// <summary>Parses the first <c>CERTIFICATE REQUEST</c> PEM block of <paramref name="pem"/>.</summary>
    /// <exception cref="CryptographicException">It holds no such block or the request does not decode.</exception>
    public static ParsedRequest Parse(string pem)
    {
        try
        {
            var request = CertificateRequest.LoadSigningRequestPem(
                pem,
                HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.SkipSignatureValidation | CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            return new ParsedRequest(pem, request);
        }
        catch (Exception e) when (e is ArgumentException or AsnContentException)
        {
            throw new CryptographicException(e.Message, e);
        }
    }
}
