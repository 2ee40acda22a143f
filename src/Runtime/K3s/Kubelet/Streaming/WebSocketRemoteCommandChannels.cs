using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace K3sLab.K3s.Kubelet.Streaming;

/// <summary>
/// Remote command channels over one WebSocket (<c>v5.channel.k8s.io</c> or <c>v4.channel.k8s.io</c>): every binary
/// message starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize); v5 adds 255, a close signal
/// whose second byte names the channel the sender will not write again (client-go sends <c>[255, 0]</c> when stdin
/// ends). The receive loop also answers the client's pings (client-go pings every 5 s and gives up after a minute
/// without a pong). The command ends with a normal closure, which client-go reads as the end of every channel.
/// </summary>
internal sealed class WebSocketRemoteCommandChannels : RemoteCommandChannels
{
    /// <summary>Channel ids.</summary>
    public const byte StdinChannel = 0, StdoutChannel = 1, StderrChannel = 2, ErrorChannel = 3, ResizeChannel = 4, CloseSignal = 255;

    private readonly WebSocket _socket;
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly Pipe _stdin = new();
    private readonly Channel<TerminalSize> _sizes = Channel.CreateUnbounded<TerminalSize>();
    private readonly Task _receiving;

    public WebSocketRemoteCommandChannels(WebSocket socket, RemoteCommandOptions options)
    {
        _socket = socket;
        Stdin = options.Stdin ? _stdin.Reader.AsStream() : null;
        Stdout = options.Stdout ? new ChannelStream(this, StdoutChannel) : null;
        Stderr = options.Stderr && !options.Tty ? new ChannelStream(this, StderrChannel) : null;
        Resize = options.Tty ? _sizes.Reader : null;
        _receiving = ReceiveAsync();
    }

    public override Task ClientGone => _receiving;

    public override Task CloseOutputAsync(CancellationToken ct) => Task.CompletedTask;

    public override Task WriteStatusAsync(JsonObject status, CancellationToken ct) =>
        SendAsync(ErrorChannel, System.Text.Encoding.UTF8.GetBytes(status.ToJsonString()), ct);

    public override async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _send.WaitAsync();
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, CancellationToken.None);
                }
                finally
                {
                    _send.Release();
                }
            }

            // Wait for the client's close (or its going away) so the closure is clean; never forever.
            await _receiving.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is WebSocketException or IOException or TimeoutException or ObjectDisposedException)
        {
        }

        _socket.Abort();
        _socket.Dispose();
    }

    internal async Task SendAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var message = new byte[data.Length + 1];
        message[0] = channel;
        data.CopyTo(message.AsMemory(1));
        await _send.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, ct);
        }
        finally
        {
            _send.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[32 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var bytes = message.ToArray();
                message.SetLength(0);
                if (bytes.Length == 0)
                {
                    continue;
                }

                switch (bytes[0])
                {
                    case StdinChannel:
                        await _stdin.Writer.WriteAsync(bytes.AsMemory(1));
                        break;
                    case ResizeChannel when TerminalSize.TryParse(bytes.AsSpan(1), out var size):
                        _sizes.Writer.TryWrite(size);
                        break;
                    case CloseSignal when bytes.Length > 1 && bytes[1] == StdinChannel:
                        await _stdin.Writer.CompleteAsync();
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            await _stdin.Writer.CompleteAsync();
            _sizes.Writer.TryComplete();
        }
    }

    /// <summary>A write-only stream whose every write is one message on a channel.</summary>
    private sealed class ChannelStream(WebSocketRemoteCommandChannels owner, byte channel) : Stream
    {
        public override bool CanRead => false;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            buffer.IsEmpty ? ValueTask.CompletedTask : new ValueTask(owner.SendAsync(channel, buffer, cancellationToken));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("use WriteAsync");

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
