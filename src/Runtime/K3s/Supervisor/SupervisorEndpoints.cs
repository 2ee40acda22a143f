using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Supervisor;

/// <summary>
/// The supervisor endpoints k3s serves on the API port. Public: <c>/cacerts</c> (the PEM of <c>server-ca.crt</c>
/// exactly as stored, since joining nodes hash those bytes against their token) and <c>/ping</c>. Under
/// <c>/v1-k3s</c>, for nodes (join-token credentials or a node certificate): the client and server CA files.
/// Failures are k3s's plain-text 401 "not authorized" and 403 "forbidden".
/// </summary>
internal static class SupervisorEndpoints
{
    private static readonly string[] NodeGroups = [PasswdFile.AgentGroup, PasswdFile.ServerGroup, "system:nodes"];

    /// <summary>Whether a path belongs to the supervisor rather than the Kubernetes API.</summary>
    public static bool Serves(string path) => path.StartsWith("/v1-k3s/", StringComparison.Ordinal) || path.StartsWith("/db/", StringComparison.Ordinal);

    public static Task NotAuthorizedAsync(HttpContext context) => PlainAsync(context, StatusCodes.Status401Unauthorized, "not authorized");

    /// <summary>
    /// Requests that may come without credentials beyond the public paths: <c>/db/info</c> from this machine, as k3s
    /// lets a local request read the member list.
    /// </summary>
    public static bool AllowsAnonymous(HttpContext context) =>
        context.Request.Path.Value == "/db/info" && IsLocal(context);

    /// <summary>Every supervisor endpoint: those <see cref="MapJoin"/> maps, and the node certificates and readiness a server with an API serves.</summary>
    public static void Map(IEndpointRouteBuilder app, DataDir dataDir, SupervisorSettings settings, KubeletCertificates kubeletCertificates)
    {
        MapJoin(app, dataDir, settings);
        app.MapPost("/v1-k3s/serving-kubelet.crt", context => ForNodes(context, () => kubeletCertificates.HandleAsync(context, serving: true)));
        app.MapPost("/v1-k3s/client-kubelet.crt", context => ForNodes(context, () => kubeletCertificates.HandleAsync(context, serving: false)));
        app.MapGet("/v1-k3s/client-kube-proxy.crt", context => ForNodes(context, () => CertificateAndKeyAsync(context, Path.Combine(dataDir.ServerTls, "client-kube-proxy"))));
        app.MapGet("/v1-k3s/readyz", context => ForNodes(context, () => PlainAsync(context, StatusCodes.Status200OK, "ok")));
    }

    /// <summary>
    /// The endpoints that need no Kubernetes API, which an etcd-only server serves too: the public ones, the CA files,
    /// <c>/v1-k3s/config</c>, <c>/v1-k3s/apiservers</c>, <c>/v1-k3s/server-bootstrap</c> and <c>/db/info</c>.
    /// </summary>
    public static void MapJoin(IEndpointRouteBuilder app, DataDir dataDir, SupervisorSettings settings)
    {
        var serverCa = Path.Combine(dataDir.ServerTls, "server-ca.crt");
        var clientCa = Path.Combine(dataDir.ServerTls, "client-ca.crt");
        app.MapGet("/cacerts", context => FileAsync(context, serverCa));
        app.MapGet("/ping", context => PlainAsync(context, StatusCodes.Status200OK, "pong"));
        app.MapGet("/v1-k3s/server-ca.crt", context => ForNodes(context, () => FileAsync(context, serverCa)));
        app.MapGet("/v1-k3s/client-ca.crt", context => ForNodes(context, () => FileAsync(context, clientCa)));
        app.MapGet("/v1-k3s/apiservers", context => ForNodes(context, async () =>
        {
            var list = new JsonArray();
            foreach (var address in await settings.ApiServers(context.RequestAborted))
            {
                list.Add((JsonNode?)address);
            }

            await JsonAsync(context, list.ToJsonString());
        }));
        app.MapGet("/v1-k3s/config", context => ForNodes(context, () => JsonAsync(context, settings.ConfigJson())));
        app.MapGet("/v1-k3s/server-bootstrap", context => ForServers(context, () => settings.Members is null
            ? PlainAsync(context, StatusCodes.Status400BadRequest, "etcd disabled")
            : JsonAsync(context, BootstrapData.Render(dataDir))));
        app.Map("/db/info", context => DbInfoAsync(context, settings));
    }

    /// <summary>
    /// <c>GET /db/info</c>: the embedded datastore's members as etcd's MemberList JSON, for this machine or a
    /// server; 405 for other methods, 400 "etcd datastore disabled" without the embedded datastore.
    /// </summary>
    private static Task DbInfoAsync(HttpContext context, SupervisorSettings settings)
    {
        if (!IsLocal(context) && !(context.Items[UserInfo.ItemKey] is UserInfo user && user.Groups.Contains(PasswdFile.ServerGroup)))
        {
            return PlainAsync(context, StatusCodes.Status403Forbidden, "forbidden");
        }

        if (!HttpMethods.IsGet(context.Request.Method))
        {
            return PlainAsync(context, StatusCodes.Status405MethodNotAllowed, "method not allowed");
        }

        if (settings.Members is not { } members)
        {
            return PlainAsync(context, StatusCodes.Status400BadRequest, "etcd datastore disabled");
        }

        var list = new JsonArray();
        foreach (var m in members())
        {
            list.Add((JsonNode)new JsonObject
            {
                ["ID"] = m.Id,
                ["name"] = m.Name,
                ["peerURLs"] = Strings(m.PeerUrls),
                ["clientURLs"] = Strings(m.ClientUrls),
                ["isLearner"] = m.IsLearner,
            });
        }

        return JsonAsync(context, new JsonObject { ["members"] = list }.ToJsonString());
    }

    private static JsonArray Strings(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var v in values)
        {
            array.Add((JsonNode?)v);
        }

        return array;
    }

    private static bool IsLocal(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);

    private static Task ForServers(HttpContext context, Func<Task> serve) =>
        context.Items[UserInfo.ItemKey] is UserInfo user && user.Groups.Contains(PasswdFile.ServerGroup)
            ? serve()
            : PlainAsync(context, StatusCodes.Status403Forbidden, "forbidden");

    private static Task JsonAsync(HttpContext context, string json)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json, context.RequestAborted);
    }

    private static Task ForNodes(HttpContext context, Func<Task> serve) =>
        context.Items[UserInfo.ItemKey] is UserInfo user && user.Groups.Any(NodeGroups.Contains)
            ? serve()
            : PlainAsync(context, StatusCodes.Status403Forbidden, "forbidden");

    private static async Task FileAsync(HttpContext context, string path)
    {
        context.Response.ContentType = "text/plain";
        await context.Response.Body.WriteAsync(await File.ReadAllBytesAsync(path, context.RequestAborted), context.RequestAborted);
    }

    /// <summary>A client certificate and its key in one PEM answer, as k3s serves <c>client-kube-proxy.crt</c> (the agent splits them).</summary>
    private static async Task CertificateAndKeyAsync(HttpContext context, string pathWithoutExtension)
    {
        context.Response.ContentType = "text/plain";
        var certificate = await File.ReadAllBytesAsync(pathWithoutExtension + ".crt", context.RequestAborted);
        var key = await File.ReadAllBytesAsync(pathWithoutExtension + ".key", context.RequestAborted);
        await context.Response.Body.WriteAsync(certificate, context.RequestAborted);
        await context.Response.Body.WriteAsync(key, context.RequestAborted);
    }

    /// <summary>A plain-text answer, as k3s's supervisor gives its statuses.</summary>
    internal static Task PlainAsync(HttpContext context, int code, string text)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
