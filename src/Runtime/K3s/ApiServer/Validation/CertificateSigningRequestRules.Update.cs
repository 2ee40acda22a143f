using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Resources.Certificates;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary><c>validateCertificateSigningRequestUpdate</c>: what no update may do to the conditions and the certificate.</summary>
internal static partial class CertificateSigningRequestRules
{
    private static void Update(JsonObject csr, JsonObject old, Options options, FieldErrorList errors)
    {
        var conditions = csr.Obj("status").Arr("conditions");
        var oldConditions = old.Obj("status").Arr("conditions");
        foreach (var type in new[] { CertificateSigningRequestStrategy.Approved, CertificateSigningRequestStrategy.Denied, CertificateSigningRequestStrategy.Failed })
        {
            if (Of(conditions, type).Count < Of(oldConditions, type).Count)
            {
                errors.Forbidden("status.conditions", $"updates may not remove a condition of type {GoValue.Quote(type)}");
            }
        }

        if (!options.SettingApprovalConditions)
        {
            foreach (var type in new[] { CertificateSigningRequestStrategy.Approved, CertificateSigningRequestStrategy.Denied })
            {
                var (before, after) = (Of(oldConditions, type), Of(conditions, type));
                if (after.Count > before.Count)
                {
                    errors.Forbidden("status.conditions", $"updates may not add a condition of type {GoValue.Quote(type)}");
                }
                else if (after.Count == before.Count && !before.Zip(after).All(p => JsonNode.DeepEquals(p.First, p.Second)))
                {
                    errors.Forbidden("status.conditions", $"updates may not modify a condition of type {GoValue.Quote(type)}\n{Diff(before, after)}");
                }
            }
        }

        var certificate = CertificateRequestPem.Bytes(csr.Obj("status"), "certificate");
        var oldCertificate = CertificateRequestPem.Bytes(old.Obj("status"), "certificate");
        if (!SameBytes(certificate, oldCertificate))
        {
            if (!options.SettingCertificate)
            {
                errors.Forbidden("status.certificate", "updates may not set certificate content");
            }
            else if (oldCertificate is { Length: > 0 })
            {
                errors.Forbidden("status.certificate", "updates may not modify existing certificate content");
            }
        }
    }

    private static List<JsonNode?> Of(JsonArray? conditions, string type) =>
        [.. conditions.Items().Where(c => c.Item.Str("type") == type).Select(c => c.Item)];

    /// <summary>The stored and submitted conditions, one per line (kube prints go-cmp's diff here, which no client parses).</summary>
    private static string Diff(List<JsonNode?> before, List<JsonNode?> after) =>
        string.Join("\n", before.Select(c => "- " + c?.ToJsonString()).Concat(after.Select(c => "+ " + c?.ToJsonString())));
}
