using System.Security.Cryptography;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// The decisions of kube-controller-manager's <c>csrapproving</c> controller (upstream's <c>sarapprove.go</c>): a
/// pending kubelet client request (signer <c>kube-apiserver-client-kubelet</c>, passing that signer's checks) is
/// recognized as <c>selfnodeclient</c> when its requester is the node it names, and as <c>nodeclient</c> in any case;
/// each recognizer in that order is tried with a SubjectAccessReview of the requester, and the first allowed approves.
/// Pure: the reviews are posted by the controller.
/// </summary>
internal static class NodeClientApproval
{
    public const string Reason = "AutoApproved";

    public static readonly NodeClientRecognizer SelfNodeClient = new("selfnodeclient", "Auto approving self kubelet client certificate after SubjectAccessReview.");

    public static readonly NodeClientRecognizer NodeClient = new("nodeclient", "Auto approving kubelet client certificate after SubjectAccessReview.");

    /// <summary>The recognizers to try for <paramref name="csr"/>, in order; none when it is issued, approved or denied, or not a node client request.</summary>
    /// <exception cref="CryptographicException">The request does not parse (upstream retries it).</exception>
    public static IReadOnlyList<NodeClientRecognizer> Recognize(JsonObject csr)
    {
        if (CsrFields.HasCertificate(csr) || CsrFields.HasCondition(csr, CsrFields.Approved) || CsrFields.HasCondition(csr, CsrFields.Denied))
        {
            return [];
        }

        ParsedRequest request;
        try
        {
            request = ParsedRequest.Parse(CsrFields.RequestPem(csr) ?? string.Empty);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException($"unable to parse csr \"{ObjectKeys.Name(csr)}\": {e.Message}", e);
        }

        if (CsrFields.SignerName(csr) != SignerChecks.KubeletClient || SignerChecks.KubeletClientProblem(request, CsrFields.Usages(csr)) is not null)
        {
            return [];
        }

        return CsrFields.Username(csr) == request.CommonName ? [SelfNodeClient, NodeClient] : [NodeClient];
    }

    /// <summary>The SubjectAccessReview asking whether the requester may create <c>certificatesigningrequests/&lt;subresource&gt;</c>.</summary>
    public static JsonObject Review(JsonObject csr, NodeClientRecognizer recognizer)
    {
        var spec = csr.Obj("spec");
        var extra = new JsonObject();
        foreach (var (key, value) in spec.Obj("extra") ?? [])
        {
            extra[key] = value?.DeepClone();
        }

        return new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SubjectAccessReview",
            ["spec"] = new JsonObject
            {
                ["user"] = spec.Str("username"),
                ["uid"] = spec.Str("uid"),
                ["groups"] = spec.Arr("groups")?.DeepClone(),
                ["extra"] = extra,
                ["resourceAttributes"] = new JsonObject
                {
                    ["group"] = "certificates.k8s.io",
                    ["resource"] = "certificatesigningrequests",
                    ["verb"] = "create",
                    ["subresource"] = recognizer.Subresource,
                },
            },
        };
    }

    /// <summary>Whether a created review's <c>status.allowed</c> is true.</summary>
    public static bool Allowed(JsonObject review) => review.Obj("status").Bool("allowed") == true;

    /// <summary>The object to <c>PUT</c> to <c>.../approval</c>: <paramref name="csr"/> with <c>Approved</c>/<c>AutoApproved</c>.</summary>
    public static JsonObject Approve(JsonObject csr, NodeClientRecognizer recognizer, DateTimeOffset now) =>
        CsrFields.WithCondition(csr, CsrFields.Approved, Reason, recognizer.Message, now);
}
