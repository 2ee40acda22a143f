using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>
/// Bearer-token authentication: a service-account token this server signed is accepted while it is unexpired and
/// the service account it names still exists with the same uid (and, for a pod-bound token, the pod too), as
/// kube-apiserver checks. Anything else is not authenticated here. Service accounts are looked up in a watch-fed
/// cache, as kube-apiserver's informer does; a miss or a different uid is confirmed with a read of the store, so a
/// service account created a moment ago is found and a recreated one is not mistaken for the old.
/// </summary>
internal sealed class BearerAuthenticator(ServiceAccountTokens tokens, ObjectStorage storage, ObjectCache? serviceAccounts = null)
{
    private static readonly ResourceKind ServiceAccounts = new(string.Empty, "serviceaccounts", true);
    private static readonly ResourceKind Pods = new(string.Empty, "pods", true);

    public ServiceAccountTokens Tokens => tokens;

    public async Task<UserInfo?> AuthenticateAsync(string? authorization, CancellationToken ct)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var claims = tokens.Validate(authorization["Bearer ".Length..].Trim(), out _);
        return claims is not null && await StillValidAsync(claims, ct) ? claims.User : null;
    }

    /// <summary>Whether the service account (and bound pod) the token names still exist, with the uids it names.</summary>
    public async Task<bool> StillValidAsync(ServiceAccountClaims claims, CancellationToken ct)
    {
        var cached = serviceAccounts?.Items.GetValueOrDefault($"{claims.Namespace}/{claims.Name}")?["metadata"]?["uid"]?.GetValue<string>();
        if (cached != claims.Uid && await UidAsync(ServiceAccounts, claims.Namespace, claims.Name, ct) != claims.Uid)
        {
            return false;
        }

        return claims.PodName is null || await UidAsync(Pods, claims.Namespace, claims.PodName, ct) == claims.PodUid;
    }

    private async Task<string?> UidAsync(ResourceKind kind, string ns, string name, CancellationToken ct)
    {
        try
        {
            return (await storage.GetAsync(kind, ns, name, ct)).Object["metadata"]?["uid"]?.GetValue<string>();
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            return null;
        }
    }
}
