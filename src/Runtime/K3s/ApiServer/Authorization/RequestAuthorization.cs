using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;

namespace K3sLab.K3s.ApiServer.Authorization;

/// <summary>
/// Decides every authenticated request before it is routed, as kube-apiserver's authorization filter does: a
/// resource path becomes a resource request (verb, group, resource, subresource, namespace, name), anything else a
/// non-resource request for the path with the lower-cased HTTP method as verb. So a path that does not exist is a
/// 403 for a user who may not reach it and a 404 only for one who may.
/// </summary>
internal static class RequestAuthorization
{
    public static AccessRequest Describe(string method, string path, RequestInfo? info)
    {
        if (info is not null)
        {
            return new AccessRequest(info.Verb, info.Group, info.Resource, info.Subresource, info.Namespace, info.Name);
        }

        return new AccessRequest(method.ToLowerInvariant(), string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, path);
    }

    /// <summary>The 403 for a denied request, worded as kube-apiserver words it.</summary>
    public static ApiStatusException Denied(UserInfo user, AccessRequest request) =>
        request.IsResourceRequest
            ? ApiErrors.Forbidden(user.Name, request.Verb, request.Group, request.Resource, request.Name, request.Namespace, request.Subresource)
            : ApiErrors.ForbiddenPath(user.Name, request.Verb, request.Path!);
}
