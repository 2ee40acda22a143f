using System.Globalization;
using System.Text;

namespace K3sLab.K3s.ApiServer.Kubelets;

/// <summary>
/// One upgrade request relayed to a kubelet, as kube-apiserver's UpgradeAwareHandler does for exec, attach and
/// port-forward: the request goes out with the client's upgrade headers (SPDY's <c>X-Stream-Protocol-Version</c>,
/// WebSocket's <c>Sec-WebSocket-*</c>) and nothing of its credentials; the kubelet's answer comes back as it is. After
/// a 101 both connections carry the upgraded protocol and <see cref="PumpAsync"/> copies bytes both ways until one
/// side ends, so only the kubelet speaks SPDY or WebSocket.
/// </summary>
internal static class KubeletUpgrade
{
    /// <summary>The request headers that describe the upgrade; everything else (credentials, impersonation) stays here.</summary>
    private static readonly string[] Forwarded =
    [
        "Upgrade", "X-Stream-Protocol-Version", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "User-Agent",
    ];

    /// <summary>Writes the request line and headers.</summary>
    public static async Task SendRequestAsync(Stream kubelet, string method, string pathAndQuery, string authority, IHeaderDictionary headers, CancellationToken ct)
    {
        var request = new StringBuilder();
        request.Append(CultureInfo.InvariantCulture, $"{method} {pathAndQuery} HTTP/1.1\r\nHost: {authority}\r\nConnection: Upgrade\r\n");
        foreach (var name in Forwarded)
        {
            foreach (var value in headers[name])
            {
                if (!string.IsNullOrEmpty(value) && !value.Contains('\r', StringComparison.Ordinal) && !value.Contains('\n', StringComparison.Ordinal))
                {
                    request.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
                }
            }
        }

        if (HttpMethods.IsPost(method))
        {
            request.Append("Content-Length: 0\r\n");
        }

        request.Append("\r\n");
        await kubelet.WriteAsync(Encoding.Latin1.GetBytes(request.ToString()), ct);
        await kubelet.FlushAsync(ct);
    }

    /// <summary>Reads the kubelet's response head.</summary>
    /// <exception cref="IOException">The connection ended first.</exception>
    /// <exception cref="FormatException">Not an HTTP/1.1 response.</exception>
    public static async Task<UpgradeResponseHead> ReadHeadAsync(Stream kubelet, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        while (true)
        {
            var n = await kubelet.ReadAsync(chunk, ct);
            if (n == 0)
            {
                throw new IOException("the kubelet closed the connection before it answered");
            }

            buffer.Write(chunk, 0, n);
            if (UpgradeResponseHead.TryParse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) is { } head)
            {
                return head;
            }
        }
    }

    /// <summary>Reads an error answer's body (Content-Length, chunked, or up to the end of the connection), at most 64 KiB.</summary>
    public static async Task<byte[]> ReadBodyAsync(Stream kubelet, UpgradeResponseHead head, CancellationToken ct)
    {
        const int Limit = 64 * 1024;
        var raw = new MemoryStream();
        raw.Write(head.Rest);
        var chunked = string.Equals(head["Transfer-Encoding"], "chunked", StringComparison.OrdinalIgnoreCase);
        long? length = long.TryParse(head["Content-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : null;
        var buffer = new byte[4096];
        while (raw.Length < Limit && !(length is { } want && raw.Length >= want) && !(chunked && Dechunk(raw.ToArray()) is not null))
        {
            var n = await kubelet.ReadAsync(buffer, ct);
            if (n == 0)
            {
                break;
            }

            raw.Write(buffer, 0, n);
        }

        var bytes = raw.ToArray();
        return chunked ? Dechunk(bytes) ?? bytes : length is { } total && bytes.Length > total ? bytes[..(int)total] : bytes;
    }

    /// <summary>Copies bytes both ways until either side ends; the caller then closes both.</summary>
    public static async Task PumpAsync(Stream client, Stream kubelet, ReadOnlyMemory<byte> fromKubelet, CancellationToken ct)
    {
        if (!fromKubelet.IsEmpty)
        {
            await client.WriteAsync(fromKubelet, ct);
            await client.FlushAsync(ct);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var up = CopyAsync(client, kubelet, stop.Token);
        var down = CopyAsync(kubelet, client, stop.Token);
        await Task.WhenAny(up, down);

        // Let the other direction deliver what is already in flight (the kubelet's last frames after the client's
        // close, or the reverse), then stop it.
        await Task.WhenAny(Task.WhenAll(up, down), Task.Delay(TimeSpan.FromSeconds(2), ct)).ContinueWith(_ => { }, TaskScheduler.Default);
        await stop.CancelAsync();
        await Task.WhenAll(up, down);
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, ct)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n), ct);
                await to.FlushAsync(ct);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // Either side went away: the relay ends.
        }
    }

    /// <summary>The body of a complete chunked encoding, or null while it is incomplete.</summary>
    internal static byte[]? Dechunk(byte[] raw)
    {
        var body = new MemoryStream();
        var at = 0;
        while (true)
        {
            var eol = raw.AsSpan(at).IndexOf("\r\n"u8);
            if (eol < 0)
            {
                return null;
            }

            var sizeText = Encoding.ASCII.GetString(raw, at, eol).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size))
            {
                return raw;
            }

            at += eol + 2;
            if (size == 0)
            {
                return body.ToArray();
            }

            if (raw.Length < at + size + 2)
            {
                return null;
            }

            body.Write(raw, at, size);
            at += size + 2;
        }
    }
}
