using System.Text.Json.Nodes;
using static K3sLab.K3s.ApiServer.Resources.Tables.Json;

namespace K3sLab.K3s.ApiServer.Resources.Tables;

/// <summary>
/// kube-apiserver 1.33's CertificateSigningRequest printer: the signer, who asked, the requested duration as an
/// age reads (<c>10m</c>, <c>&lt;none&gt;</c> when not asked for) and the condition, <c>Denied</c> over
/// <c>Approved</c> over <c>Pending</c>, then <c>,Failed</c> and <c>,Issued</c> once a certificate is there.
/// Column descriptions are the certificates.k8s.io/v1beta1 field docs kube uses.
/// </summary>
internal static partial class TableColumns
{
    private const string SignerNameDescription =
        "Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`.\n"
        + "If empty, it will be defaulted:\n"
        + " 1. If it's a kubelet client certificate, it is assigned\n    \"kubernetes.io/kube-apiserver-client-kubelet\".\n"
        + " 2. If it's a kubelet serving certificate, it is assigned\n    \"kubernetes.io/kubelet-serving\".\n"
        + " 3. Otherwise, it is assigned \"kubernetes.io/legacy-unknown\".\n"
        + "Distribution of trust for signers happens out of band.\nYou can select on this field using `spec.signerName`.";

    private const string ExpirationSecondsDescription =
        "expirationSeconds is the requested duration of validity of the issued certificate. The certificate signer may issue a certificate with a different validity duration so a client must check the delta between the notBefore and and notAfter fields in the issued certificate to determine the actual duration.\n\n"
        + "The v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this field as long as the requested duration is not greater than the maximum duration they will honor per the --cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\n"
        + "Certificate signers may not honor this field for various reasons:\n\n"
        + "  1. Old signer that is unaware of the field (such as the in-tree\n     implementations prior to v1.22)\n"
        + "  2. Signer whose configured maximum is shorter than the requested duration\n"
        + "  3. Signer whose configured minimum is longer than the requested duration\n\n"
        + "The minimum valid value for expirationSeconds is 600, i.e. 10 minutes.";

    private static TableColumn[] CertificateSigningRequestColumns() => [
        Name,
        Age,
        new("SignerName", "string", SignerNameDescription, (o, _) => Str(o, "spec.signerName") is { Length: > 0 } signer ? signer : None),
        new("Requestor", "string", "Base64-encoded PKCS#10 CSR data", (o, _) => Str(o, "spec.username") ?? string.Empty),
        new("RequestedDuration", "string", ExpirationSecondsDescription, (o, _) => At(o, "spec.expirationSeconds") is null ? None : HumanDuration.Format(TimeSpan.FromSeconds(Long(o, "spec.expirationSeconds")))),
        new("Condition", "string", "Conditions applied to the request, such as approval or denial.", (o, _) => CertificateCondition(o))];

    /// <summary>kube's <c>extractCSRStatus</c>.</summary>
    internal static string CertificateCondition(JsonObject csr)
    {
        var types = Objects(csr, "status.conditions").Select(c => Str(c, "type")).ToHashSet(StringComparer.Ordinal);
        var condition = types.Contains("Denied") ? "Denied" : types.Contains("Approved") ? "Approved" : "Pending";
        if (types.Contains("Failed"))
        {
            condition += ",Failed";
        }

        return Str(csr, "status.certificate") is { Length: > 0 } ? condition + ",Issued" : condition;
    }
}
