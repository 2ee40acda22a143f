using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.ApiServer.Resources.Certificates;

/// <summary>
/// kube-apiserver 1.33's <c>CertificateSubjectRestriction</c> admission plugin: a CertificateSigningRequest created
/// for the <c>kubernetes.io/kube-apiserver-client</c> signer may not ask for the <c>system:masters</c> organization,
/// since a certificate in that group bypasses authorization and cannot be revoked. It checks creates of the main
/// resource only, after validation; the caller wraps the message in a 403 for the object. Pure.
/// </summary>
internal static class SubjectRestriction
{
    public const string KubeApiServerClientSigner = "kubernetes.io/kube-apiserver-client";

    private const string MastersGroup = "system:masters";

    /// <summary>The reason the create of <paramref name="csr"/> is forbidden, or null when it is allowed.</summary>
    public static string? Check(JsonObject csr)
    {
        var spec = csr.Obj("spec");
        if (spec.Str("signerName") != KubeApiServerClientSigner)
        {
            return null;
        }

        var (request, error) = CertificateRequestPem.Parse(CertificateRequestPem.Bytes(spec, "request"));
        if (request is null)
        {
            return $"failed to parse CSR: {error}";
        }

        return Tls.SubjectName.Of(request.SubjectName).Organizations.Contains(MastersGroup, StringComparer.Ordinal)
            ? $"use of {KubeApiServerClientSigner} signer with {MastersGroup} group is not allowed"
            : null;
    }
}
