namespace K3sLab.K3s.Controllers.Certificates;

/// <summary>
/// The built-in signers' names and what each requires of a request before it signs it (kube's
/// <c>pkg/apis/certificates/helpers.go</c> and the signer's <c>isRequestForSigner</c> functions), with upstream's
/// messages, which become the <c>SignerValidationFailure</c> condition's message. ML-DSA keys are not supported here,
/// so upstream's extra ML-DSA usage rules have nothing to check.
/// </summary>
internal static class SignerChecks
{
    public const string KubeApiServerClient = "kubernetes.io/kube-apiserver-client";
    public const string KubeletClient = "kubernetes.io/kube-apiserver-client-kubelet";
    public const string KubeletServing = "kubernetes.io/kubelet-serving";
    public const string LegacyUnknown = "kubernetes.io/legacy-unknown";

    private const string NodePrefix = "system:node:";
    private const string Nodes = "system:nodes";

    private static readonly HashSet<string> KubeletServingUsages = ["digital signature", "key encipherment", "server auth"];
    private static readonly HashSet<string> KubeletServingUsagesNoRsa = ["digital signature", "server auth"];
    private static readonly HashSet<string> KubeletClientUsages = ["digital signature", "key encipherment", "client auth"];
    private static readonly HashSet<string> KubeletClientUsagesNoRsa = ["digital signature", "client auth"];

    /// <summary>
    /// What <paramref name="request"/> lacks for <paramref name="signerName"/>: null when it may be signed, else
    /// upstream's message. <c>legacy-unknown</c> has no restrictions (kept for v1beta1 compatibility).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not one of the four built-in signers.</exception>
    public static string? Problem(string signerName, ParsedRequest request, IReadOnlyList<string> usages) => signerName switch
    {
        KubeletServing => KubeletServingProblem(request, usages.ToHashSet(StringComparer.Ordinal)),
        KubeletClient => KubeletClientProblem(request, usages.ToHashSet(StringComparer.Ordinal)),
        KubeApiServerClient => ApiServerClientProblem(usages),
        LegacyUnknown => null,
        _ => throw new ArgumentOutOfRangeException(nameof(signerName), signerName, "not a built-in signer"),
    };

    /// <summary>Upstream's <c>ValidateKubeletServingCSR</c>, checks in its order.</summary>
    public static string? KubeletServingProblem(ParsedRequest request, IReadOnlySet<string> usages)
    {
        var names = request.AltNames;
        return !IsNodesOnly(request) ? "subject organization is not system:nodes"
            : names.DnsNames.Count == 0 && names.IpAddresses.Count == 0 ? "DNS or IP subjectAltName is required"
            : names.Emails.Count > 0 ? "Email subjectAltNames are not allowed"
            : names.Uris.Count > 0 ? "URI subjectAltNames are not allowed"
            : !KubeletServingUsages.SetEquals(usages) && !KubeletServingUsagesNoRsa.SetEquals(usages) ? $"usages did not match {GoList(KubeletServingUsages)}"
            : !request.CommonName.StartsWith(NodePrefix, StringComparison.Ordinal) ? "subject common name does not begin with system:node:"
            : null;
    }

    /// <summary>Upstream's <c>ValidateKubeletClientCSR</c>, checks in its order.</summary>
    public static string? KubeletClientProblem(ParsedRequest request, IReadOnlySet<string> usages)
    {
        var names = request.AltNames;
        return !IsNodesOnly(request) ? "subject organization is not system:nodes"
            : names.DnsNames.Count > 0 ? "DNS subjectAltNames are not allowed"
            : names.Emails.Count > 0 ? "Email subjectAltNames are not allowed"
            : names.IpAddresses.Count > 0 ? "IP subjectAltNames are not allowed"
            : names.Uris.Count > 0 ? "URI subjectAltNames are not allowed"
            : !request.CommonName.StartsWith(NodePrefix, StringComparison.Ordinal) ? "subject common name does not begin with system:node:"
            : !KubeletClientUsages.SetEquals(usages) && !KubeletClientUsagesNoRsa.SetEquals(usages) ? $"usages did not match {GoList(KubeletClientUsages)}"
            : null;
    }

    /// <summary>Upstream's <c>validAPIServerClientUsages</c>: only client auth, digital signature and key encipherment; client auth required.</summary>
    private static string? ApiServerClientProblem(IReadOnlyList<string> usages)
    {
        foreach (var usage in usages)
        {
            if (usage is not ("digital signature" or "key encipherment" or "client auth"))
            {
                return $"invalid usage for client certificate: {usage}";
            }
        }

        return usages.Contains("client auth") ? null : "missing required usage for client certificate: client auth";
    }

    /// <summary>Whether the subject's organizations are exactly <c>[system:nodes]</c>.</summary>
    private static bool IsNodesOnly(ParsedRequest request) => request.Organizations is [Nodes];

    /// <summary>A set as Go prints a sorted <c>[]string</c>: <c>[a b c]</c>.</summary>
    private static string GoList(IEnumerable<string> items) => $"[{string.Join(' ', items.Order(StringComparer.Ordinal))}]";
}
