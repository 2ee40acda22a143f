using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ApiServer.Resources.Certificates;

/// <summary>
/// Reads a CertificateSigningRequest's <c>spec.request</c> as kube-apiserver 1.33 does (<c>certificates.ParseCSR</c>
/// then <c>CheckSignature</c>): the JSON field is base64 of PEM text whose first PEM block must be a
/// <c>CERTIFICATE REQUEST</c> holding a PKCS#10 request signed by its own key. Failures carry Go's messages
/// (<c>PEM block type must be CERTIFICATE REQUEST</c>, <c>x509: ECDSA verification failure</c>,
/// <c>crypto/rsa: verification error</c>); a DER that does not parse gets one fixed message, as Go's ASN.1 errors
/// depend on its parser. Keys .NET cannot verify (Ed25519) are refused rather than accepted unverified. Pure.
/// </summary>
internal static class CertificateRequestPem
{
    public const string RequestLabel = "CERTIFICATE REQUEST";
    public const string NotARequest = "PEM block type must be CERTIFICATE REQUEST";

    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaPublicKeyOid = "1.2.840.113549.1.1.1";

    /// <summary>The decoded bytes of a base64 field (<c>spec.request</c>, <c>status.certificate</c>); null when absent or not base64.</summary>
    public static byte[]? Bytes(JsonNode? parent, string field)
    {
        if (parent.Str(field) is not { } text)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Parses and verifies the request in <paramref name="pem"/>: the request, or Go's error text.</summary>
    public static (CertificateRequest? Request, string? Error) Parse(byte[]? pem)
    {
        if (FirstBlock(pem) is not { } block || block.Label != RequestLabel)
        {
            return (null, NotARequest);
        }

        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequest(block.Data.AsSpan(), HashAlgorithmName.SHA256, out var consumed, CertificateRequestLoadOptions.SkipSignatureValidation);
            if (consumed != block.Data.Length)
            {
                return (null, "asn1: syntax error: trailing data");
            }
        }
        catch (CryptographicException)
        {
            return (null, "x509: malformed certificate request");
        }

        try
        {
            CertificateRequest.LoadSigningRequest(block.Data.AsSpan(), HashAlgorithmName.SHA256, out _);
            return (request, null);
        }
        catch (CryptographicException)
        {
            return (null, request.PublicKey.Oid.Value switch
            {
                EcPublicKeyOid => "x509: ECDSA verification failure",
                RsaPublicKeyOid => "crypto/rsa: verification error",
                _ => "x509: cannot verify signature: algorithm unimplemented",
            });
        }
    }

    /// <summary>Every PEM block in <paramref name="pem"/>, in order, as Go's repeated <c>pem.Decode</c> finds them.</summary>
    public static IEnumerable<(string Label, byte[] Data)> Blocks(byte[]? pem)
    {
        // Latin-1 maps each byte to one char, so offsets agree and non-text bytes between blocks are harmless.
        var text = Encoding.Latin1.GetString(pem ?? []);
        var offset = 0;
        while (offset < text.Length && PemEncoding.TryFind(text.AsSpan(offset), out var fields))
        {
            var found = text.AsSpan(offset);
            yield return (found[fields.Label].ToString(), Convert.FromBase64String(found[fields.Base64Data].ToString()));
            offset += fields.Location.End.Value;
        }
    }

    private static (string Label, byte[] Data)? FirstBlock(byte[]? pem) =>
        Blocks(pem).Select(b => ((string Label, byte[] Data)?)b).FirstOrDefault();
}
