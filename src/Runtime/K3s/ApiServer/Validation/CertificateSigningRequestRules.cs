using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Certificates;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// kube-apiserver 1.33's validation of <c>certificates.k8s.io/v1</c> CertificateSigningRequests
/// (<c>ValidateCertificateSigningRequestCreate</c>, <c>...Update</c>, <c>...StatusUpdate</c>,
/// <c>...ApprovalUpdate</c>), in kube's order: the request (a PEM PKCS#10 request with a valid signature), the
/// usages, the signer name, the requested duration, the conditions and the issued certificate; then on update that
/// Approved, Denied and Failed conditions are never removed, that only <c>/approval</c> adds or changes Approved and
/// Denied, and that only <c>/status</c> sets the certificate, once. Problems already in the stored object are
/// tolerated on update, as kube does for data written by older servers. Names are not checked beyond being present.
/// </summary>
internal static partial class CertificateSigningRequestRules
{
    /// <summary>What an update through each way in may do, and what the stored object lets pass.</summary>
    private sealed record Options
    {
        public bool SettingApprovalConditions { get; init; }

        public bool SettingCertificate { get; init; }

        public bool BothApprovedAndDenied { get; init; }

        public bool LegacySignerName { get; init; }

        public bool DuplicateConditionTypes { get; init; }

        public bool EmptyConditionType { get; init; }

        public bool ArbitraryCertificate { get; init; }

        public bool UnknownUsages { get; init; }

        public bool DuplicateUsages { get; init; }
    }

    /// <summary>
    /// Checks <paramref name="csr"/> created (<paramref name="old"/> null) or updated through
    /// <paramref name="subresource"/> (<c>""</c>, <c>status</c> or <c>approval</c>); metadata is checked by the caller.
    /// </summary>
    public static void Check(JsonObject csr, JsonObject? old, string subresource, FieldErrorList errors)
    {
        var options = OptionsFor(csr, old) with
        {
            SettingCertificate = subresource == CertificateSigningRequestStrategy.StatusSubresource,
            SettingApprovalConditions = subresource == CertificateSigningRequestStrategy.ApprovalSubresource,
        };
        Object(csr, options, errors);
        if (old is not null)
        {
            Update(csr, old, options, errors);
        }
    }

    /// <summary><c>ValidateCertificateRequestName</c> accepts any name: only that one is given (or generated) is checked.</summary>
    public static void Name(JsonObject? metadata, FieldErrorList errors)
    {
        if (string.IsNullOrEmpty(metadata.Str("name")) && string.IsNullOrEmpty(metadata.Str("generateName")))
        {
            errors.Required("metadata.name", "name or generateName is required");
        }
    }

    /// <summary><c>getValidationOptions</c>: on update, what the stored object already breaks is allowed to stay broken.</summary>
    private static Options OptionsFor(JsonObject csr, JsonObject? old)
    {
        if (old is null)
        {
            return new Options();
        }

        var oldSpec = old.Obj("spec");
        var oldConditions = old.Obj("status").Arr("conditions").Items().Select(c => c.Item.Str("type") ?? string.Empty).ToList();
        var oldUsages = oldSpec.Arr("usages").Items().Select(u => JsonFields.AsString(u.Item) ?? string.Empty).ToList();
        var oldCertificate = CertificateRequestPem.Bytes(old.Obj("status"), "certificate");
        return new Options
        {
            BothApprovedAndDenied = oldConditions.Contains(CertificateSigningRequestStrategy.Approved) && oldConditions.Contains(CertificateSigningRequestStrategy.Denied),
            LegacySignerName = oldSpec.Str("signerName") == LegacyUnknownSigner,
            DuplicateConditionTypes = oldConditions.Distinct(StringComparer.Ordinal).Count() != oldConditions.Count,
            EmptyConditionType = oldConditions.Contains(string.Empty),
            ArbitraryCertificate = SameBytes(CertificateRequestPem.Bytes(csr.Obj("status"), "certificate"), oldCertificate) || CertificateProblem(oldCertificate) is not null,
            UnknownUsages = oldUsages.Any(u => !KnownUsages.Contains(u)),
            DuplicateUsages = oldUsages.Distinct(StringComparer.Ordinal).Count() != oldUsages.Count,
        };
    }

    private static bool SameBytes(byte[]? a, byte[]? b) => (a ?? []).AsSpan().SequenceEqual(b ?? []);
}
