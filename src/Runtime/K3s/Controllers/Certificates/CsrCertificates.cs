using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// Issues the certificate for an approved request as kube-controller-manager's local signer does (its
/// <c>authority</c> package and permissive signing policy): the request's subject verbatim and its DNS, email, IP and
/// URI names; key usages from <c>spec.usages</c>; not a CA; a random 128-bit serial; valid from five minutes ago for
/// the chosen duration (less the backdate when that is eight hours or more), never past the CA's own expiry. Every
/// other extension the request asked for is dropped.
/// </summary>
internal static class CsrCertificates
{
    /// <summary>How far NotBefore is put back, for clocks slightly behind the signer's.</summary>
    public static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    /// <summary>Below this duration a certificate keeps its whole lifetime after now (5 minutes is about 1% of it).</summary>
    public static readonly TimeSpan Short = TimeSpan.FromHours(8);

    /// <summary>The least duration issued, twice the backdate, whatever <c>spec.expirationSeconds</c> asks.</summary>
    public static readonly TimeSpan MinimumDuration = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The certificate's duration: <paramref name="max"/> (<c>--cluster-signing-duration</c>) unless
    /// <c>spec.expirationSeconds</c> asks for less, and never under <see cref="MinimumDuration"/>.
    /// </summary>
    public static TimeSpan Duration(long? expirationSeconds, TimeSpan max)
    {
        if (expirationSeconds is not { } seconds)
        {
            return max;
        }

        var requested = TimeSpan.FromSeconds(seconds);
        return requested > max ? max : requested < MinimumDuration ? MinimumDuration : requested;
    }

    /// <summary>NotBefore and NotAfter for a certificate of <paramref name="duration"/> issued at <paramref name="now"/>.</summary>
    /// <exception cref="CryptographicException">The CA has expired (upstream's messages).</exception>
    public static (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Validity(DateTimeOffset now, TimeSpan duration, DateTimeOffset caNotAfter)
    {
        var notBefore = now - Backdate;
        var notAfter = duration < Short ? now + duration : now + duration - Backdate;
        if (notAfter >= caNotAfter)
        {
            notAfter = caNotAfter;
        }

        if (notBefore >= caNotAfter)
        {
            throw new CryptographicException($"the signer has expired: NotAfter={GoTime(caNotAfter)}");
        }

        if (now >= caNotAfter)
        {
            throw new CryptographicException($"refusing to sign a certificate that expired in the past: NotAfter={GoTime(caNotAfter)}");
        }

        return (notBefore, notAfter);
    }

    /// <summary>Signs <paramref name="request"/> with <paramref name="issuer"/> (a CA certificate with its private key).</summary>
    /// <exception cref="CryptographicException">
    /// The request's signature does not verify, a usage is unknown, the CA has expired or its key cannot sign.
    /// </exception>
    public static X509Certificate2 Issue(ParsedRequest request, X509Certificate2 issuer, IReadOnlyList<string> usages, TimeSpan duration, DateTimeOffset now)
    {
        try
        {
            // Loading without SkipSignatureValidation is the signature check (upstream's CheckSignature).
            CertificateRequest.LoadSigningRequestPem(request.Pem, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException($"unable to verify certificate request signature: {e.Message}", e);
        }

        var (bits, extended) = KeyUsages.Of(usages);
        var caNotAfter = new DateTimeOffset(issuer.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var (notBefore, notAfter) = Validity(now, duration, caNotAfter);
        var (generator, hash) = SignerFor(issuer);
        using var disposeKey = generator.Key;
        var template = new CertificateRequest(request.Subject, request.PublicKey, hash);
        if (bits != X509KeyUsageFlags.None)
        {
            template.CertificateExtensions.Add(new X509KeyUsageExtension(bits, critical: true));
        }

        if (extended.Count > 0)
        {
            var oids = new OidCollection();
            foreach (var oid in extended)
            {
                oids.Add(new Oid(oid));
            }

            template.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }

        template.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        if (issuer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault() is { } issuerKeyId)
        {
            template.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuerKeyId));
        }

        if (request.AltNames.ToExtension(subjectIsEmpty: request.Subject.RawData.Length <= 2) is { } san)
        {
            template.CertificateExtensions.Add(san);
        }

        return template.Create(issuer.SubjectName, generator.Signer, notBefore, notAfter, Serial());
    }

    /// <summary>A signature generator for the CA's key, hashing as Go picks for it (SHA-256 for P-256 and RSA).</summary>
    private static ((X509SignatureGenerator Signer, IDisposable Key) Generator, HashAlgorithmName Hash) SignerFor(X509Certificate2 issuer)
    {
        if (issuer.GetECDsaPrivateKey() is { } ec)
        {
            var hash = ec.KeySize switch { > 384 => HashAlgorithmName.SHA512, > 256 => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA256 };
            return ((X509SignatureGenerator.CreateForECDsa(ec), ec), hash);
        }

        if (issuer.GetRSAPrivateKey() is { } rsa)
        {
            return ((X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1), rsa), HashAlgorithmName.SHA256);
        }

        throw new CryptographicException("the signing CA has no ECDSA or RSA private key");
    }

    /// <summary>A positive random serial below 2^128; serials must be unpredictable, so they come from the system's CSPRNG.</summary>
    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        return serial;
    }

    /// <summary>A time as Go's <c>%v</c> prints a UTC <c>time.Time</c>.</summary>
    private static string GoTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss '+0000 UTC'", CultureInfo.InvariantCulture);
}
