namespace K3sLab.K3s.ApiServer.Http;

/// <summary>
/// What a resource request asks for, derived from its path, method and query as kube-apiserver's RequestInfo is:
/// the verb (<c>get</c>, <c>list</c>, <c>watch</c>, <c>create</c>, <c>update</c>, <c>patch</c>, <c>delete</c>,
/// <c>deletecollection</c>), the group/version, the namespace, the resource, the object name and the subresource.
/// Authorization and routing both decide on this value.
/// </summary>
internal sealed record RequestInfo(
    string Verb,
    string Group,
    string Version,
    string Namespace,
    string Resource,
    string Name,
    string Subresource)
{
    private const string ItemKey = "k3slab.requestInfo";

    /// <summary>The request's info, parsed once and kept in <c>HttpContext.Items</c> for metrics, authorization and routing.</summary>
    public static RequestInfo? For(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var known))
        {
            return (RequestInfo?)known;
        }

        var info = Parse(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.Query["watch"]);
        context.Items[ItemKey] = info;
        return info;
    }

    /// <summary>A Go bool query value as strconv.ParseBool reads it: 1, t, T, true, TRUE and True (Python sends True).</summary>
    public static bool IsTrue(string? value) => value is "1" or "t" or "T" or "true" or "TRUE" or "True";

    /// <summary>Parses a resource path; returns null for non-resource paths (<c>/healthz</c>, <c>/api</c>, <c>/apis/apps</c>, ...).</summary>
    public static RequestInfo? Parse(string method, string path, string? watchQuery)
    {
        var parts = path.Trim('/').Split('/');
        string group, version;
        int next;
        if (parts is ["api", var v, ..] && parts.Length >= 3)
        {
            (group, version, next) = (string.Empty, v, 2);
        }
        else if (parts is ["apis", var g, var v2, ..] && parts.Length >= 4)
        {
            (group, version, next) = (g, v2, 3);
        }
        else
        {
            return null;
        }

        var rest = parts[next..];
        var watchPath = rest is ["watch", ..];
        if (watchPath)
        {
            rest = rest[1..];
        }

        var ns = string.Empty;
        if (rest is ["namespaces", var n, _, ..] && !IsNamespaceSubresource(rest))
        {
            ns = n;
            rest = rest[2..];
        }

        if (rest.Length == 0 || rest.Any(p => p.Length == 0))
        {
            return null;
        }

        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : string.Empty;
        var subresource = rest.Length > 2 ? string.Join('/', rest[2..]) : string.Empty;

        // A namespace's own object lives at /api/v1/namespaces/{name}; it is cluster-scoped.
        var verb = method.ToUpperInvariant() switch
        {
            "GET" or "HEAD" when watchPath || IsTrue(watchQuery) => "watch",
            "GET" or "HEAD" => name.Length == 0 ? "list" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length == 0 ? "deletecollection" : "delete",
            _ => method.ToLowerInvariant(),
        };
        return new RequestInfo(verb, group, version, ns, resource, name, subresource);
    }

    /// <summary><c>namespaces/{name}/status</c> and <c>namespaces/{name}/finalize</c> address the namespace itself.</summary>
    private static bool IsNamespaceSubresource(string[] rest) => rest.Length == 3 && rest[2] is "status" or "finalize";
}
