using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// When kube-controller-manager's <c>csrcleaner</c> deletes a CertificateSigningRequest (upstream's
/// <c>cleaner.go</c>): approved and issued, denied, or failed more than an hour ago (by the condition's
/// <c>lastUpdateTime</c>); pending (no conditions at all) for more than a day since creation; or approved with an
/// issued certificate that has expired. Pure: the time is given.
/// </summary>
internal static class CsrCleanup
{
    /// <summary>How often every request is checked.</summary>
    public static readonly TimeSpan PollingInterval = TimeSpan.FromHours(1);

    public static readonly TimeSpan ApprovedExpiration = TimeSpan.FromHours(1);
    public static readonly TimeSpan DeniedExpiration = TimeSpan.FromHours(1);
    public static readonly TimeSpan PendingExpiration = TimeSpan.FromHours(24);

    /// <summary>Why <paramref name="csr"/> is to be deleted at <paramref name="now"/>, or null to keep it.</summary>
    public static string? Expired(JsonObject csr, DateTimeOffset now)
    {
        var conditions = CsrFields.Conditions(csr).OfType<JsonObject>().ToList();
        var issued = CsrFields.HasCertificate(csr);
        bool Past(string type, TimeSpan age) =>
            conditions.Any(c => c.Str("type") == type && OlderThan(c.Str("lastUpdateTime"), age, now));

        if (issued && Past(CsrFields.Approved, ApprovedExpiration))
        {
            return "it is more than 1h0m0s old and approved";
        }

        if (Past(CsrFields.Denied, DeniedExpiration))
        {
            return "it is more than 1h0m0s old and denied";
        }

        if (Past(CsrFields.Failed, DeniedExpiration))
        {
            return "it is more than 1h0m0s old and failed";
        }

        if (conditions.Count == 0 && OlderThan(csr.Obj("metadata").Str("creationTimestamp"), PendingExpiration, now))
        {
            return "it is more than 24h0m0s old and unhandled";
        }

        if (issued && conditions.Any(c => c.Str("type") == CsrFields.Approved) && CertificateExpired(csr, now))
        {
            return "the associated certificate is expired";
        }

        return null;
    }

    /// <summary>Whether <paramref name="stamp"/> is set and more than <paramref name="age"/> before <paramref name="now"/>.</summary>
    private static bool OlderThan(string? stamp, TimeSpan age, DateTimeOffset now) =>
        DateTimeOffset.TryParse(stamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
        && now - at > age;

    /// <summary>Whether the first certificate of <c>status.certificate</c> is past its NotAfter; one that does not parse is not.</summary>
    private static bool CertificateExpired(JsonObject csr, DateTimeOffset now)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(CsrFields.CertificatePem(csr));
            return now > new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
