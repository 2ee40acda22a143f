using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;
using K3sLab.K3s.ApiServer.Errors;

namespace K3sLab.K3s.ApiServer.Admission;

/// <summary>
/// kube-apiserver's CertificateApproval and CertificateSigning admission plugins. Approving or denying a
/// CertificateSigningRequest (an update of its <c>approval</c> subresource) needs the <c>approve</c> verb, and setting
/// its certificate or conditions through <c>status</c> needs <c>sign</c>, both on the synthetic
/// <c>certificates.k8s.io</c> resource <c>signers</c> named by the stored request's signer, or by its domain with
/// <c>/*</c> (<c>kubernetes.io/*</c>). Being allowed to update the subresource is not enough: this is what keeps a user
/// who may edit requests from approving one for the cluster's client CA.
/// </summary>
internal static class CertificateSignerAdmission
{
    private const string Group = "certificates.k8s.io";

    /// <summary>Throws kube's 403 when <paramref name="user"/> may not make this change to the stored request <paramref name="current"/>.</summary>
    public static void Check(UserInfo? user, string subresource, JsonObject current, JsonObject updated, RbacPolicyCache policy)
    {
        if (user is null)
        {
            return;
        }

        var verb = subresource switch
        {
            "approval" => "approve",
            "status" when !JsonNode.DeepEquals(current["status"]?["certificate"], updated["status"]?["certificate"])
                || !JsonNode.DeepEquals(current["status"]?["conditions"], updated["status"]?["conditions"]) => "sign",
            _ => null,
        };
        if (verb is null)
        {
            return;
        }

        // Checked against the stored request, so a change of signer in the same update gains nothing.
        var signerName = current["spec"]?["signerName"]?.GetValue<string>() ?? string.Empty;
        if (!Allowed(user, verb, signerName, policy))
        {
            var name = current["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
            throw ApiErrors.ForbiddenObject(Group, "certificatesigningrequests", name, $"user not permitted to {verb} requests with signerName \"{signerName}\"");
        }
    }

    private static bool Allowed(UserInfo user, string verb, string signerName, RbacPolicyCache policy) =>
        policy.Allows(user, new AccessRequest(verb, Group, "signers", string.Empty, string.Empty, signerName))
        || policy.Allows(user, new AccessRequest(verb, Group, "signers", string.Empty, string.Empty, signerName.Split('/')[0] + "/*"));
}
