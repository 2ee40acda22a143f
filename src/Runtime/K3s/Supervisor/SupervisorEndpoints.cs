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

    public static void Map(IEndpointRouteBuilder app, DataDir dataDir)
    {
        var serverCa = Path.Combine(dataDir.ServerTls, "server-ca.crt");
        var clientCa = Path.Combine(dataDir.ServerTls, "client-ca.crt");
        app.MapGet("/cacerts", context => FileAsync(context, serverCa));
        app.MapGet("/ping", context => PlainAsync(context, StatusCodes.Status200OK, "pong"));
        app.MapGet("/v1-k3s/server-ca.crt", context => ForNodes(context, () => FileAsync(context, serverCa)));
        app.MapGet("/v1-k3s/client-ca.crt", context => ForNodes(context, () => FileAsync(context, clientCa)));
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

    private static Task PlainAsync(HttpContext context, int code, string text)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
