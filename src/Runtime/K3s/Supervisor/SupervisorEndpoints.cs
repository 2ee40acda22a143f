namespace K3sLab.K3s.Supervisor;

/// <summary>
/// The unauthenticated supervisor endpoints k3s serves on the same port as the API: <c>/cacerts</c> (the PEM of
/// <c>server-ca.crt</c> exactly as stored, since joining nodes hash those bytes against their token) and <c>/ping</c>.
/// </summary>
internal static class SupervisorEndpoints
{
    public static void Map(IEndpointRouteBuilder app, string serverCaPath)
    {
        app.MapGet("/cacerts", async context =>
        {
            context.Response.ContentType = "text/plain";
            await context.Response.Body.WriteAsync(await File.ReadAllBytesAsync(serverCaPath, context.RequestAborted), context.RequestAborted);
        });
        app.MapGet("/ping", context =>
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("pong", context.RequestAborted);
        });
    }
}
