using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// Decides and signs for kube-controller-manager's <c>csrsigning</c> controllers (upstream runs one per built-in
/// signer; here one core serves all those it has a CA for). In upstream's order: a request that already has a
/// certificate, is not approved (or is also denied), has a true <c>Failed</c> condition, or names a signer without a
/// CA here is skipped; one that does not parse is retried; one that fails its signer's checks gets
/// <c>Failed</c>/<c>SignerValidationFailure</c> with upstream's message; the rest are signed. Pure apart from the
/// serial's randomness: the clock and CAs are given.
/// </summary>
internal static class CsrSigner
{
    public const string ValidationFailureReason = "SignerValidationFailure";

    /// <summary>
    /// The decision for <paramref name="csr"/>: <paramref name="authorities"/> maps signer names to the CA certificate
    /// (with key) that signs for them; <paramref name="maxDuration"/> is <c>--cluster-signing-duration</c>.
    /// </summary>
    public static SigningDecision Decide(JsonObject csr, IReadOnlyDictionary<string, X509Certificate2> authorities, TimeSpan maxDuration, DateTimeOffset now)
    {
        var signerName = CsrFields.SignerName(csr);
        if (CsrFields.HasCertificate(csr) || !CsrFields.IsApproved(csr) || CsrFields.HasTrueCondition(csr, CsrFields.Failed)
            || !authorities.TryGetValue(signerName, out var issuer))
        {
            return SigningDecision.Skipped;
        }

        var name = ObjectKeys.Name(csr);
        ParsedRequest request;
        try
        {
            request = ParsedRequest.Parse(CsrFields.RequestPem(csr) ?? string.Empty);
        }
        catch (CryptographicException e)
        {
            return new SigningDecision(SigningOutcome.Retry, Message: $"unable to parse csr \"{name}\": {e.Message}");
        }

        var usages = CsrFields.UsageList(csr);
        if (SignerChecks.Problem(signerName, request, usages) is { } problem)
        {
            return new SigningDecision(SigningOutcome.Fail, CsrFields.WithCondition(csr, CsrFields.Failed, ValidationFailureReason, problem, now), problem);
        }

        try
        {
            using var certificate = CsrCertificates.Issue(request, issuer, usages, CsrCertificates.Duration(CsrFields.ExpirationSeconds(csr), maxDuration), now);
            var updated = csr.DeepClone().AsObject();
            if (updated["status"] is not JsonObject status)
            {
                status = [];
                updated["status"] = status;
            }

            status["certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"));
            return new SigningDecision(SigningOutcome.Issue, updated);
        }
        catch (CryptographicException e)
        {
            return new SigningDecision(SigningOutcome.Retry, Message: $"error auto signing csr: {e.Message}");
        }
    }
}
