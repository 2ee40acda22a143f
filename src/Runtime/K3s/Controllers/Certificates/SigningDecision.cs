using System.Text.Json.Nodes;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>What the signing controller does with one CertificateSigningRequest.</summary>
internal enum SigningOutcome
{
    /// <summary>Not this controller's to sign now: pending, denied, failed, already issued, or another signer's.</summary>
    Skip,

    /// <summary>Write <see cref="SigningDecision.Update"/> through the status subresource: it carries the certificate.</summary>
    Issue,

    /// <summary>Write <see cref="SigningDecision.Update"/> through the status subresource: it carries a <c>Failed</c> condition.</summary>
    Fail,

    /// <summary>Nothing to write; the request could not be handled now (a parse or signing error): retry with backoff.</summary>
    Retry,
}

/// <summary>
/// The signing core's one answer for a request: what to do and, for <see cref="SigningOutcome.Issue"/> and
/// <see cref="SigningOutcome.Fail"/>, the whole object to <c>PUT</c> to <c>.../status</c> (a copy of the cached one,
/// so its resourceVersion makes a concurrent change a conflict). <see cref="Message"/> is the failure or error text.
/// </summary>
internal sealed record SigningDecision(SigningOutcome Outcome, JsonObject? Update = null, string Message = "")
{
    public static readonly SigningDecision Skipped = new(SigningOutcome.Skip);
}
