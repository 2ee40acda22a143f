using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// Reads a stored <c>certificates.k8s.io/v1</c> CertificateSigningRequest (its <c>[]byte</c> fields, <c>spec.request</c>
/// and <c>status.certificate</c>, are base64 in JSON) and the condition tests of kube's
/// <c>pkg/controller/certificates</c> helpers. Never throws on a malformed object: what does not decode reads as absent.
/// </summary>
internal static class CsrFields
{
    public const string Approved = "Approved";
    public const string Denied = "Denied";
    public const string Failed = "Failed";

    public static string SignerName(JsonObject csr) => csr.Obj("spec").Str("signerName") ?? string.Empty;

    public static string Username(JsonObject csr) => csr.Obj("spec").Str("username") ?? string.Empty;

    /// <summary><c>spec.usages</c> as a set, as upstream compares them.</summary>
    public static HashSet<string> Usages(JsonObject csr) =>
        new((csr.Obj("spec").Arr("usages") ?? []).Select(JsonFields.AsString).OfType<string>(), StringComparer.Ordinal);

    /// <summary><c>spec.usages</c> in order, duplicates kept (what the signer maps to extensions).</summary>
    public static IReadOnlyList<string> UsageList(JsonObject csr) =>
        [.. (csr.Obj("spec").Arr("usages") ?? []).Select(JsonFields.AsString).OfType<string>()];

    public static long? ExpirationSeconds(JsonObject csr) => csr.Obj("spec").Long("expirationSeconds");

    /// <summary>The PEM text of <c>spec.request</c>, null when it is absent or not base64.</summary>
    public static string? RequestPem(JsonObject csr) => Bytes(csr.Obj("spec").Str("request"));

    /// <summary>The PEM text of <c>status.certificate</c>, null when there is none.</summary>
    public static string? CertificatePem(JsonObject csr) => Bytes(csr.Obj("status").Str("certificate"));

    /// <summary>Whether a certificate was issued (a non-empty <c>status.certificate</c>).</summary>
    public static bool HasCertificate(JsonObject csr) => csr.Obj("status").Str("certificate") is { Length: > 0 };

    public static JsonArray Conditions(JsonObject csr) => csr.Obj("status").Arr("conditions") ?? [];

    /// <summary>Whether a condition of <paramref name="type"/> is present, whatever its status (upstream's <c>GetCertApprovalCondition</c>).</summary>
    public static bool HasCondition(JsonObject csr, string type) => StatusConditions.Find(Conditions(csr), type) is not null;

    /// <summary>Approved and not denied (upstream's <c>IsCertificateRequestApproved</c>).</summary>
    public static bool IsApproved(JsonObject csr) => HasCondition(csr, Approved) && !HasCondition(csr, Denied);

    /// <summary>Whether a condition of <paramref name="type"/> has status True (upstream's <c>HasTrueCondition</c>).</summary>
    public static bool HasTrueCondition(JsonObject csr, string type) =>
        Conditions(csr).OfType<JsonObject>().Any(c => c.Str("type") == type && c.Str("status") == "True");

    /// <summary>
    /// A copy of <paramref name="csr"/> with condition <paramref name="type"/> set True, stamped <paramref name="now"/>
    /// (<c>lastUpdateTime</c> always, <c>lastTransitionTime</c> when it is new or its status changes).
    /// </summary>
    public static JsonObject WithCondition(JsonObject csr, string type, string reason, string message, DateTimeOffset now)
    {
        var updated = csr.DeepClone().AsObject();
        if (updated["status"] is not JsonObject status)
        {
            status = [];
            updated["status"] = status;
        }

        if (status["conditions"] is not JsonArray conditions)
        {
            conditions = [];
            status["conditions"] = conditions;
        }

        var condition = StatusConditions.Set(conditions, type, "True", reason, message, now);
        condition["lastUpdateTime"] = PodState.Stamp(now);
        return updated;
    }

    private static string? Bytes(string? base64)
    {
        if (string.IsNullOrEmpty(base64))
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
