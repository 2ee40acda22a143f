using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Authentication;

/// <summary>
/// Bearer-token authentication: a service-account token this server signed is accepted while it is unexpired and
/// the service account it names still exists with the same uid (and, for a pod-bound token, the pod too), as
/// kube-apiserver checks. Anything else is not authenticated here.
/// </summary>
internal sealed class BearerAuthenticator(ServiceAccountTokens tokens, ObjectStorage storage)
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
        if (await UidAsync(ServiceAccounts, claims.Namespace, claims.Name, ct) != claims.Uid)
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
