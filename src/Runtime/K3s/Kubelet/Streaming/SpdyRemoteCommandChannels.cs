using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// Remote command channels over SPDY (<c>v4.channel.k8s.io</c>): the client opens one stream per channel, named by
/// its <c>streamType</c> header (<c>error</c>, <c>stdin</c>, <c>stdout</c>, <c>stderr</c>, <c>resize</c>); the
/// server waits until all it expects are open, as the kubelet's <c>waitForStreams</c> does.
/// </summary>
internal sealed class SpdyRemoteCommandChannels : RemoteCommandChannels
{
    private readonly SpdyConnection _connection;
    private readonly Task _reading;
    private readonly SpdyStream _error;

    private SpdyRemoteCommandChannels(SpdyConnection connection, Task reading, Dictionary<string, SpdyStream> streams)
    {
        _connection = connection;
        _reading = reading;
        _error = streams["error"];
        Stdin = streams.GetValueOrDefault("stdin");
        Stdout = streams.GetValueOrDefault("stdout");
        Stderr = streams.GetValueOrDefault("stderr");
        if (streams.GetValueOrDefault("resize") is { } resize)
        {
            var sizes = Channel.CreateUnbounded<TerminalSize>();
            Resize = sizes.Reader;
            _ = ReadSizesAsync(resize, sizes.Writer);
        }
    }

    public override Task ClientGone => _reading;

    /// <summary>
    /// Waits for the client to open the streams <paramref name="options"/> call for; null (and the connection
    /// closed) when it does not within <paramref name="timeout"/> or the connection ends first.
    /// </summary>
    public static async Task<SpdyRemoteCommandChannels?> AcceptAsync(SpdyConnection connection, Task reading, RemoteCommandOptions options, TimeSpan timeout, CancellationToken ct)
    {
        var streams = new Dictionary<string, SpdyStream>(StringComparer.Ordinal);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (streams.Count < options.ExpectedStreams && await connection.Streams.WaitToReadAsync(deadline.Token))
            {
                while (connection.Streams.TryRead(out var stream))
                {
                    var type = stream.Headers["streamtype"] ?? string.Empty;
                    if (type is "error" or "stdin" or "stdout" or "stderr" or "resize")
                    {
                        streams[type] = stream;
                    }
                    else
                    {
                        await connection.SendAsync(SpdyFrame.Reset(stream.Id, SpdyFrame.ProtocolError), ct);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        if (streams.Count >= options.ExpectedStreams && streams.ContainsKey("error"))
        {
            return new SpdyRemoteCommandChannels(connection, reading, streams);
        }

        await connection.DisposeAsync();
        return null;
    }

    public override async Task CloseOutputAsync(CancellationToken ct)
    {
        foreach (var stream in new[] { Stdout, Stderr }.OfType<SpdyStream>())
        {
            await stream.CloseWriteAsync(ct);
        }
    }

    public override async Task WriteStatusAsync(JsonObject status, CancellationToken ct)
    {
        await _error.WriteAsync(System.Text.Encoding.UTF8.GetBytes(status.ToJsonString()), ct);
        await _error.CloseWriteAsync(ct);
    }

    public override ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static async Task ReadSizesAsync(SpdyStream stream, ChannelWriter<TerminalSize> sizes)
    {
        // json.Encoder writes one object and a newline per resize.
        var pending = new List<byte>();
        var buffer = new byte[1024];
        int n;
        try
        {
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                pending.AddRange(buffer.AsSpan(0, n));
                int newline;
                while ((newline = pending.IndexOf((byte)'\n')) >= 0)
                {
                    if (TerminalSize.TryParse(pending.GetRange(0, newline).ToArray(), out var size))
                    {
                        sizes.TryWrite(size);
                    }

                    pending.RemoveRange(0, newline + 1);
                }
            }
        }
        finally
        {
            sizes.TryComplete();
        }
    }
}
