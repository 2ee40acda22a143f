using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.Tls;

namespace K3sLab.Lab.Tests.Controllers.Certificates;

/// <summary>
/// Real CAs, keys and PKCS#10 requests for the certificate controllers' tests, and CertificateSigningRequest objects
/// shaped as kube-apiserver stores them.
/// </summary>
internal static class CsrFixtures
{
    public static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A client CA and a server CA made a day before <see cref="Now"/> (so they are valid then).</summary>
    public static readonly CertificateAuthority ClientCa = CertificateAuthority.Create("k3s-client-ca", new FixedTime(Now.AddDays(-1)));

    public static readonly CertificateAuthority ServerCa = CertificateAuthority.Create("k3s-server-ca", new FixedTime(Now.AddDays(-1)));

    public static readonly string[] ClientUsages = ["digital signature", "key encipherment", "client auth"];

    public static readonly string[] ServingUsages = ["digital signature", "key encipherment", "server auth"];

    /// <summary>A PEM request for a fresh P-256 key, with subject CN and O, and subjectAltNames when given.</summary>
    public static string Request(string commonName, string[]? organizations = null, string[]? dns = null, IPAddress[]? ips = null, string[]? emails = null, Uri[]? uris = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Request(key, commonName, organizations, dns, ips, emails, uris);
    }

    public static string Request(ECDsa key, string commonName, string[]? organizations = null, string[]? dns = null, IPAddress[]? ips = null, string[]? emails = null, Uri[]? uris = null)
    {
        var subject = new X500DistinguishedNameBuilder();
        foreach (var organization in organizations ?? [])
        {
            subject.AddOrganizationName(organization);
        }

        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var sans = new SubjectAlternativeNameBuilder();
        var any = false;
        foreach (var name in dns ?? [])
        {
            sans.AddDnsName(name);
            any = true;
        }

        foreach (var ip in ips ?? [])
        {
            sans.AddIpAddress(ip);
            any = true;
        }

        foreach (var email in emails ?? [])
        {
            sans.AddEmailAddress(email);
            any = true;
        }

        foreach (var uri in uris ?? [])
        {
            sans.AddUri(uri);
            any = true;
        }

        if (any)
        {
            request.CertificateExtensions.Add(sans.Build());
        }

        return request.CreateSigningRequestPem();
    }

    /// <summary>A kubelet's client request: <c>CN=system:node:&lt;node&gt;, O=system:nodes</c>.</summary>
    public static string NodeClientRequest(string node = "node-1") => Request($"system:node:{node}", ["system:nodes"]);

    /// <summary>A CertificateSigningRequest named <c>csr-1</c> for <paramref name="requestPem"/>; conditions are (type, status, lastUpdateTime).</summary>
    public static JsonObject Csr(
        string requestPem,
        string signerName,
        string[] usages,
        string username = "system:node:node-1",
        string[]? groups = null,
        long? expirationSeconds = null,
        (string Type, string Status, DateTimeOffset At)[]? conditions = null,
        string? certificatePem = null,
        DateTimeOffset? created = null)
    {
        var spec = new JsonObject
        {
            ["request"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(requestPem)),
            ["signerName"] = signerName,
            ["usages"] = new JsonArray([.. usages.Select(u => (JsonNode)u)]),
            ["username"] = username,
            ["uid"] = "user-uid",
            ["groups"] = new JsonArray([.. (groups ?? ["system:nodes", "system:authenticated"]).Select(g => (JsonNode)g)]),
            ["extra"] = new JsonObject { ["scopes"] = new JsonArray("a", "b") },
        };
        if (expirationSeconds is { } seconds)
        {
            spec["expirationSeconds"] = seconds;
        }

        var status = new JsonObject();
        if (conditions is not null)
        {
            status["conditions"] = new JsonArray([.. conditions.Select(c => (JsonNode)new JsonObject
            {
                ["type"] = c.Type,
                ["status"] = c.Status,
                ["reason"] = "Test",
                ["message"] = "set by the test",
                ["lastUpdateTime"] = Stamp(c.At),
                ["lastTransitionTime"] = Stamp(c.At),
            })]);
        }

        if (certificatePem is not null)
        {
            status["certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificatePem));
        }

        return new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = "csr-1", ["uid"] = "csr-uid", ["resourceVersion"] = "7", ["creationTimestamp"] = Stamp(created ?? Now.AddMinutes(-1)) },
            ["spec"] = spec,
            ["status"] = status,
        };
    }

    /// <summary>An approved condition stamped a minute before <see cref="Now"/>.</summary>
    public static (string, string, DateTimeOffset)[] Approved => [("Approved", "True", Now.AddMinutes(-1))];

    /// <summary>The certificate of <c>status.certificate</c> in <paramref name="csr"/>.</summary>
    public static X509Certificate2 IssuedCertificate(JsonObject csr) =>
        X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(csr["status"]!["certificate"]!.GetValue<string>())));

    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
