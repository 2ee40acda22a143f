using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.Tunnel;

namespace K3sLab.K3s.Supervisor;

/// <summary>
/// <c>/v1-k3s/connect</c>: an agent's WebSocket tunnel, registered in <see cref="TunnelSessions"/> under its node name
/// while it lasts. Only a kubelet client certificate (<c>system:node:&lt;name&gt;</c> in group <c>system:nodes</c>) may
/// connect: other credentials get k3s's 403 <c>forbidden</c> (none at all, 401 from the authenticator before this).
/// A request that is not a WebSocket upgrade is a 400.
/// </summary>
internal static partial class TunnelEndpoint
{
    private const string NodeUserPrefix = "system:node:";

    public static void Map(IEndpointRouteBuilder app, TunnelSessions sessions, IHostApplicationLifetime lifetime, ILogger logger) =>
        app.Map("/v1-k3s/connect", context => ConnectAsync(context, sessions, lifetime, logger));

    private static async Task ConnectAsync(HttpContext context, TunnelSessions sessions, IHostApplicationLifetime lifetime, ILogger logger)
    {
        if (context.Items[UserInfo.ItemKey] is not UserInfo user || !user.Groups.Contains("system:nodes") || !user.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal))
        {
            await SupervisorEndpoints.PlainAsync(context, StatusCodes.Status403Forbidden, "forbidden");
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await SupervisorEndpoints.PlainAsync(context, StatusCodes.Status400BadRequest, "websocket upgrade required");
            return;
        }

        var node = user.Name[NodeUserPrefix.Length..];
        var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        await using var session = new TunnelSession(socket, dial: null, logger);
        if (sessions.Add(node, session) is { } replaced)
        {
            await replaced.DisposeAsync();
        }

        Log.Connected(logger, node, context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        try
        {
            await session.RunAsync(stop.Token);
        }
        finally
        {
            sessions.Remove(node, session);
            Log.Disconnected(logger, node);
        }
    }
}
