using K3sLab.K3s.Kubelet.Pods;
using K3sLab.K3s.Kubelet.Streaming;
using Microsoft.AspNetCore.Http.Features;

namespace K3sLab.K3s.Kubelet.Server;

/// <summary>
/// The kubelet's streaming endpoints: <c>/exec/{namespace}/{pod}/{container}</c>,
/// <c>/attach/{namespace}/{pod}/{container}</c> (both may have the pod uid before the container) and
/// <c>/portForward/{namespace}/{pod}</c> (optionally <c>/{uid}</c>). Each is an HTTP/1.1 upgrade, negotiated as
/// the kubelet (and client-go) do it:
/// <list type="bullet">
/// <item>SPDY: <c>Upgrade: SPDY/3.1</c> with <c>X-Stream-Protocol-Version</c> offers; the first offer this end speaks
/// (<c>v4.channel.k8s.io</c> for exec and attach, <c>portforward.k8s.io</c> for port-forward) is answered in a 101
/// with the same header; none is the kubelet's 403 <c>unable to upgrade: unable to negotiate protocol</c>.</item>
/// <item>WebSocket: <c>Sec-WebSocket-Protocol</c> offers, the first of <c>v5.channel.k8s.io</c> and
/// <c>v4.channel.k8s.io</c> for exec and attach, <c>SPDY/3.1+portforward.k8s.io</c> (SPDY tunnelled in binary
/// messages) for port-forward.</item>
/// </list>
/// The query is the kubelet's: <c>command</c> (repeated), <c>input</c>, <c>output</c>, <c>error</c>, <c>tty</c>.
/// </summary>
internal sealed partial class KubeletApi
{
    private const string SpdyUpgrade = "SPDY/3.1";
    private const string ExecProtocolV4 = "v4.channel.k8s.io";
    private const string ExecProtocolV5 = "v5.channel.k8s.io";
    private const string PortForwardProtocol = "portforward.k8s.io";
    private const string TunnelPrefix = "SPDY/3.1+";

    /// <summary>How long the client has to open the streams it asked for (the kubelet's default).</summary>
    private static readonly TimeSpan StreamCreationTimeout = TimeSpan.FromSeconds(30);

    private static void MapStreaming(WebApplication app, PodSync pods, TimeProvider time, ILogger logger)
    {
        app.Map("/exec/{**path}", context => RemoteCommandAsync(context, pods, time, logger, attach: false));
        app.Map("/attach/{**path}", context => RemoteCommandAsync(context, pods, time, logger, attach: true));
        app.Map("/portForward/{**path}", context => PortForwardAsync(context, pods, logger));
    }

    private static async Task RemoteCommandAsync(HttpContext context, PodSync pods, TimeProvider time, ILogger logger, bool attach)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET, POST";
            await PlainAsync(context, StatusCodes.Status405MethodNotAllowed, "Method Not Allowed");
            return;
        }

        var parts = ((string?)context.Request.RouteValues["path"] ?? string.Empty).Split('/');
        if (parts.Length is not (3 or 4) || parts.Any(p => p.Length == 0))
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, "404 page not found\n");
            return;
        }

        var (ns, name, container) = (parts[0], parts[1], parts[^1]);
        var query = context.Request.Query;
        var options = new RemoteCommandOptions(Flag(query["input"]), Flag(query["output"]), Flag(query["error"]), Flag(query["tty"]));
        var command = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (!options.Stdin && !options.Stdout && !options.Stderr)
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, "you must specify at least 1 of stdin, stdout, stderr");
            return;
        }

        if (!attach && command.Count == 0)
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, "you must specify at least one command for the container");
            return;
        }

        if (pods.Find(ns, name) is not { } worker)
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, "pod does not exist");
            return;
        }

        if (worker.FindRunning(container, out var missing) is not { } target)
        {
            await PlainAsync(context, StatusCodes.Status500InternalServerError, missing);
            return;
        }

        if (attach && options.Stdin)
        {
            // Containers here run with stdin closed from the start, so there is nothing to attach a client's input to.
            // (No ": " in these messages: client-go reads an error body as YAML first, and "a: b" would decode as an empty Status.)
            await PlainAsync(context, StatusCodes.Status400BadRequest, target.Stdin
                ? $"container {container} in pod {name} asks for stdin, but this kubelet starts every container with stdin closed, so attach streams its output only (leave out -i)"
                : $"container {container} in pod {name} was not started with stdin (its spec has no stdin=true), so there is no stdin to attach to (leave out -i)");
            return;
        }

        if (attach)
        {
            // The TTY setting of an attach is the container's own (the kubelet's rule); containers here never have one.
            options = options with { Tty = false };
        }

        await using var channels = await UpgradeRemoteCommandAsync(context, options);
        if (channels is null)
        {
            return;
        }

        if (attach)
        {
            await AttachAsync(channels, target, time, context.RequestAborted);
        }
        else
        {
            await ExecAsync(channels, worker, target, command, options, logger, ns, name, container);
        }
    }

    /// <summary>Answers the upgrade (SPDY or WebSocket) and waits for the client's channels; null when it failed (already answered).</summary>
    private static async Task<RemoteCommandChannels?> UpgradeRemoteCommandAsync(HttpContext context, RemoteCommandOptions options)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            var offered = Offers(context.Request.Headers.SecWebSocketProtocol);
            var chosen = offered.FirstOrDefault(p => p is ExecProtocolV5 or ExecProtocolV4);
            if (chosen is null)
            {
                await PlainAsync(context, StatusCodes.Status400BadRequest, $"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(' ', offered)}], server supports [{ExecProtocolV5} {ExecProtocolV4}]");
                return null;
            }

            var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = chosen, KeepAliveInterval = TimeSpan.Zero });
            return new WebSocketRemoteCommandChannels(socket, options);
        }

        if (await UpgradeSpdyAsync(context, [ExecProtocolV4]) is not { } transport)
        {
            return null;
        }

        var connection = new SpdyConnection(transport);
        var reading = connection.RunAsync(context.RequestAborted);
        return await SpdyRemoteCommandChannels.AcceptAsync(connection, reading, options, StreamCreationTimeout, context.RequestAborted);
    }

    /// <summary>The SPDY/3.1 upgrade with one of <paramref name="supported"/>; null when refused (already answered).</summary>
    private static async Task<Stream?> UpgradeSpdyAsync(HttpContext context, string[] supported)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true } || !string.Equals(context.Request.Headers.Upgrade.ToString(), SpdyUpgrade, StringComparison.OrdinalIgnoreCase))
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, "Upgrade request required");
            return null;
        }

        var offered = Offers(context.Request.Headers["X-Stream-Protocol-Version"]);
        var chosen = offered.FirstOrDefault(supported.Contains);
        if (chosen is null)
        {
            await PlainAsync(context, StatusCodes.Status403Forbidden, $"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(' ', offered)}], server accepts [{string.Join(' ', supported)}]");
            return null;
        }

        context.Response.Headers["X-Stream-Protocol-Version"] = chosen;
        context.Response.Headers.Upgrade = SpdyUpgrade;
        context.Response.Headers.Connection = "Upgrade";
        return await upgrade.UpgradeAsync();
    }

    private static List<string> Offers(Microsoft.Extensions.Primitives.StringValues values) =>
        [.. values.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];

    private static bool Flag(Microsoft.Extensions.Primitives.StringValues value) =>
        value.LastOrDefault() is { } text && (text == "1" || bool.TryParse(text, out var on) && on);
}
