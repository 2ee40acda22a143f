using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// The server side of an RFC 6455 handshake done by hand, for a subprotocol .NET's WebSocket refuses to name:
/// client-go's port-forward tunnel asks for <c>SPDY/3.1+portforward.k8s.io</c>, and '/' is not a token character,
/// so ASP.NET's <c>AcceptWebSocketAsync</c> throws after its 101 is out. This answers the 101 itself (the accept key is
/// base64(SHA-1(key + the RFC's GUID))) and wraps the upgraded stream with <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>.
/// </summary>
internal static class WebSocketHandshake
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The <c>Sec-WebSocket-Accept</c> value for a client's <c>Sec-WebSocket-Key</c>.</summary>
    public static string AcceptKey(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + Guid)));

    /// <summary>Answers the upgrade with <paramref name="subprotocol"/>; null when the request is no WebSocket upgrade.</summary>
    public static async Task<WebSocket?> AcceptAsync(HttpContext context, string subprotocol)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var key = context.Request.Headers.SecWebSocketKey.ToString();
        if (upgrade is not { IsUpgradableRequest: true } || key.Length == 0)
        {
            return null;
        }

        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.SecWebSocketAccept = AcceptKey(key);
        context.Response.Headers.SecWebSocketProtocol = subprotocol;
        var stream = await upgrade.UpgradeAsync();
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
    }
}
