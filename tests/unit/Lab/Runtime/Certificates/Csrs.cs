using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace K3sLab.Lab.Tests.Runtime.Certificates;

/// <summary>Real PKCS#10 requests and certificates made in the test, in the base64-of-PEM form a CSR's JSON holds them.</summary>
internal static class Csrs
{
    public static string Ecdsa(string commonName = "alice", params string[] organizations)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Base64(new CertificateRequest(Subject(commonName, organizations), key, HashAlgorithmName.SHA256).CreateSigningRequestPem());
    }

    public static string Rsa(string commonName = "bob", params string[] organizations)
    {
        using var key = RSA.Create(2048);
        return Base64(new CertificateRequest(Subject(commonName, organizations), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem());
    }

    /// <summary>A request whose signature's last byte is flipped: it parses, but the signature does not verify.</summary>
    public static string Tampered(string request)
    {
        var pem = Encoding.ASCII.GetString(Convert.FromBase64String(request));
        var der = PemEncoding.Find(pem) is var fields ? Convert.FromBase64String(pem[fields.Base64Data]) : [];
        der[^1] ^= 0x01;
        return Base64(PemEncoding.WriteString("CERTIFICATE REQUEST", der));
    }

    /// <summary>A self-signed certificate as PEM, base64-encoded: what a signer puts in <c>status.certificate</c>.</summary>
    public static string Certificate(string commonName = "issued")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UnixEpoch.AddYears(50), DateTimeOffset.UnixEpoch.AddYears(51));
        return Base64(certificate.ExportCertificatePem());
    }

    public static string Base64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));

    /// <summary>A CSR body as a client sends it, with an optional fragment appended to its spec.</summary>
    public static JsonObject Object(string request, string signer = "example.com/signer", string usages = "[\"client auth\"]", string spec = "", string status = "{}", string name = "req") =>
        JsonNode.Parse($$"""
            {"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"{{name}}"},
             "spec":{"request":"{{request}}","signerName":"{{signer}}","usages":{{usages}}{{(spec.Length > 0 ? "," + spec : "")}}},"status":{{status}}}
            """)!.AsObject();

    private static X500DistinguishedName Subject(string commonName, string[] organizations)
    {
        var builder = new X500DistinguishedNameBuilder();
        foreach (var organization in organizations)
        {
            builder.AddOrganizationName(organization);
        }

        builder.AddCommonName(commonName);
        return builder.Build();
    }
}
