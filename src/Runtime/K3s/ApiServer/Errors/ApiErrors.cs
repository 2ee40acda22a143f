namespace K3sLab.K3s.ApiServer.Errors;

/// <summary>
/// The error statuses kube-apiserver returns, with its exact reasons and message formats, which clients and
/// kubectl match on (e.g. <c>kubectl apply</c> retries on Conflict; informers relist on 410 Expired).
/// Resources are named as in messages: the plural with its group, e.g. <c>deployments.apps</c>.
/// </summary>
internal static class ApiErrors
{
    public static ApiStatusException NotFound(string group, string resource, string name) =>
        new(404, "NotFound", $"{Qualified(group, resource)} \"{name}\" not found", name, group, resource);

    public static ApiStatusException AlreadyExists(string group, string resource, string name) =>
        new(409, "AlreadyExists", $"{Qualified(group, resource)} \"{name}\" already exists", name, group, resource);

    public static ApiStatusException Conflict(string group, string resource, string name, string why = "the object has been modified; please apply your changes to the latest version and try again") =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(group, resource)} \"{name}\": {why}", name, group, resource);

    /// <summary>422: <c>Kind.group "name" is invalid: field: message, field: message</c>.</summary>
    public static ApiStatusException Invalid(string group, string kind, string name, IReadOnlyList<StatusCause> causes)
    {
        var qualifiedKind = group.Length == 0 ? kind : $"{kind}.{group}";

        // The message lists each distinct cause once, as apimachinery's aggregate does; the causes keep them all.
        var described = causes.Select(Describe).Distinct().ToList();
        var summary = described.Count == 1 ? described[0] : $"[{string.Join(", ", described)}]";
        return new ApiStatusException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {summary}", name, group, kind, causes);
    }

    public static ApiStatusException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiStatusException Forbidden(string user, string verb, string group, string resource, string name, string ns, string subresource = "")
    {
        var what = name.Length > 0 ? $"{Qualified(group, resource)} \"{name}\"" : Qualified(group, resource);
        var scope = ns.Length > 0 ? $" in the namespace \"{ns}\"" : " at the cluster scope";
        var asked = subresource.Length > 0 ? $"{resource}/{subresource}" : resource;
        return new ApiStatusException(403, "Forbidden", $"{what} is forbidden: User \"{user}\" cannot {verb} resource \"{asked}\" in API group \"{group}\"{scope}", name.Length > 0 ? name : null, group, resource);
    }

    /// <summary>403 from an admission rule rather than from authorization, e.g. deleting the <c>default</c> namespace.</summary>
    public static ApiStatusException ForbiddenObject(string group, string resource, string name, string why) =>
        new(403, "Forbidden", $"{Qualified(group, resource)} \"{name}\" is forbidden: {why}", name, group, resource);

    /// <summary>403 for a non-resource path (discovery, metrics) the user may not reach, in kube-apiserver's words.</summary>
    public static ApiStatusException ForbiddenPath(string user, string verb, string path) =>
        new(403, "Forbidden", $"forbidden: User \"{user}\" cannot {verb} path \"{path}\"");

    /// <summary>410 for a watch or list from a compacted revision; informers relist on it.</summary>
    public static ApiStatusException Expired(long requested, long oldest) =>
        new(410, "Expired", $"too old resource version: {requested} ({oldest})");

    /// <summary>410 for a <c>continue</c> token whose snapshot was compacted.</summary>
    public static ApiStatusException ContinueExpired() =>
        new(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");

    public static ApiStatusException MethodNotSupported(string group, string resource, string verb) =>
        new(405, "MethodNotAllowed", $"{verb} is not supported on resources of kind \"{Qualified(group, resource)}\"", group: group, kind: resource);

    public static ApiStatusException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf (got {contentType})");

    public static ApiStatusException RequestEntityTooLarge(long limit) =>
        new(413, "RequestEntityTooLarge", $"Request entity too large: limit is {limit}");

    public static ApiStatusException ServiceUnavailable(string message, int retryAfterSeconds = 1) =>
        new(503, "ServiceUnavailable", message, retryAfterSeconds: retryAfterSeconds);

    public static ApiStatusException Timeout(string message, int retryAfterSeconds = 1) =>
        new(504, "Timeout", message, retryAfterSeconds: retryAfterSeconds);

    /// <summary>
    /// A read at a resourceVersion this server has not reached, as kube-apiserver's storage answers it: a 504 Timeout
    /// with the cause client-go's reflector looks for (type ResourceVersionTooLarge, message "Too large resource
    /// version") and one second to retry after, so a reflector relists instead of retrying the same version.
    /// </summary>
    public static ApiStatusException TooLargeResourceVersion(long asked, long current) =>
        new(504, "Timeout", $"Too large resource version: {asked}, current: {current}", causes: [new("ResourceVersionTooLarge", "Too large resource version", string.Empty)], retryAfterSeconds: 1);

    public static ApiStatusException Internal(string message) =>
        new(500, "InternalError", $"Internal error occurred: {message}");

    private static string Qualified(string group, string resource) => group.Length == 0 ? resource : $"{resource}.{group}";

    private static string Describe(StatusCause cause) => $"{cause.Field}: {cause.Message}";

    /// <summary>
    /// A datastore failure as kube-apiserver passes etcd's through: code 500 and etcd's own message without a reason
    /// (kubectl prints <c>Error from server: etcdserver: request timed out</c>), 503 when the store cannot serve at all.
    /// </summary>
    public static ApiStatusException FromStore(Store.StoreException e) => e.Error switch
    {
        Store.StoreError.NoLeader => new(500, string.Empty, "etcdserver: no leader"),
        Store.StoreError.Timeout => new(500, string.Empty, "etcdserver: request timed out"),
        Store.StoreError.NoSpace => new(500, string.Empty, "etcdserver: mvcc: database space exceeded"),
        Store.StoreError.Unavailable => ServiceUnavailable($"the datastore cannot serve: {e.Message}"),
        _ => new(500, "InternalError", $"Internal error occurred: {e.Message}"),
    };
}
