using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;

namespace K3sLab.K3s.ApiServer.Resources.Certificates;

/// <summary>
/// kube-apiserver 1.33's registry strategies for <c>certificates.k8s.io/v1</c> CertificateSigningRequests, over the
/// stored JSON. On create the requester's identity is recorded in the spec and the status is emptied (a request
/// cannot arrive approved). On update the spec never changes; what else the submitted object may change depends on
/// how it came in: the main resource changes metadata only, <c>/status</c> changes the status but keeps the
/// Approved and Denied conditions as stored, <c>/approval</c> changes the conditions only. Metadata comes from the
/// submitted object in all three (kube's CSR strategies do not reset it for the subresources), with the fields the
/// server owns carried over as <see cref="ObjectDefaults.PrepareUpdate"/> does. Validation follows (see
/// <c>CertificateSigningRequestRules</c>). Pure: the time comes in as an argument.
/// </summary>
internal static partial class CertificateSigningRequestStrategy
{
    /// <summary>Where an update came in: the main resource, or one of the two subresources.</summary>
    public const string StatusSubresource = "status";

    public const string ApprovalSubresource = "approval";

    /// <summary>
    /// <c>PrepareForCreate</c>: replaces <c>spec.username</c>, <c>uid</c>, <c>groups</c> and <c>extra</c> with the
    /// requesting <paramref name="user"/>'s (left out when empty, as Go's <c>omitempty</c> writes them) and empties
    /// <c>status</c>. Call after defaulting and before validation.
    /// </summary>
    public static void PrepareCreate(JsonObject csr, UserInfo? user)
    {
        if (csr["spec"] is not JsonObject spec)
        {
            spec = [];
            csr["spec"] = spec;
        }

        foreach (var field in new[] { "username", "uid", "groups", "extra" })
        {
            spec.Remove(field);
        }

        if (user is not null)
        {
            SetIfAny(spec, "username", user.Name);
            SetIfAny(spec, "uid", user.Uid);
            if (user.Groups.Count > 0)
            {
                spec["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode)JsonValue.Create(g))]);
            }

            if (user.Extra.Count > 0)
            {
                spec["extra"] = new JsonObject(user.Extra.Select(e =>
                    KeyValuePair.Create(e.Key, (JsonNode?)new JsonArray([.. e.Value.Select(v => (JsonNode)JsonValue.Create(v))]))));
            }
        }

        csr["status"] = new JsonObject();
    }

    /// <summary>
    /// The object to store for an update of <paramref name="current"/> to <paramref name="updated"/> (which is
    /// changed and returned) through <paramref name="subresource"/> (<c>""</c>, <see cref="StatusSubresource"/> or
    /// <see cref="ApprovalSubresource"/>), at <paramref name="now"/>. Call after defaulting and before validation.
    /// </summary>
    public static JsonObject PrepareUpdate(string subresource, JsonObject current, JsonObject updated, DateTimeOffset now)
    {
        var submittedStatus = updated["status"] as JsonObject ?? [];
        updated["spec"] = current["spec"]?.DeepClone();
        if (updated["spec"] is null)
        {
            updated.Remove("spec");
        }

        // Carries uid, creationTimestamp, deletion fields and generation from the stored object and the stored status.
        var merged = ObjectDefaults.PrepareUpdate(current, updated, statusOnly: false, hasStatusSubresource: true);
        var storedStatus = current["status"] as JsonObject ?? [];
        switch (subresource)
        {
            case StatusSubresource:
                merged["status"] = StatusUpdate(storedStatus, (JsonObject)submittedStatus.DeepClone(), now);
                break;
            case ApprovalSubresource:
                merged["status"] = ApprovalUpdate(storedStatus, (JsonObject)submittedStatus.DeepClone(), now);
                break;
        }

        return merged;
    }

    private static void SetIfAny(JsonObject spec, string field, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            spec[field] = value;
        }
    }
}
