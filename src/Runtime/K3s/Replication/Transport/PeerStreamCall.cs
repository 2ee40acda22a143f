using System.Buffers;
using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using K3sLab.K3s.Etcd.Http2;
using static K3sLab.K3s.Etcd.Http2.Http2Frame;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>
/// The client side of one <c>RaftPeer.Stream</c> call, on an HTTP/2 connection of its own: the same gRPC over HTTP/2
/// on the wire as a <c>Grpc.Net.Client</c> call, written straight to the socket by the caller.
/// </summary>
/// <remarks>
/// Why not <c>Grpc.Net.Client</c> here: <c>SocketsHttpHandler</c> hands every frame to its connection's writer loop
/// and waits for it, and the gRPC layer flushes through a second hand-over. On this project's 2-core machine that
/// made each message's send take 33-41 µs (p50) before any byte left, and such a send is on the path of every write
/// twice (the leader's append, a follower's acknowledgement). Here a send is one socket write on the sending task,
/// which the kernel takes at once unless the peer stops reading. The other peer calls (forwarding, leases,
/// membership) are rare and keep using <c>Grpc.Net.Client</c>.
/// <para>What the call honours of HTTP/2 (RFC 9113): the peer's SETTINGS (acknowledged; initial window and largest
/// frame size applied), flow control on the connection and the stream (a send waits for WINDOW_UPDATE credit),
/// PING (answered; and sent after <see cref="DefaultPingDelay"/> without a frame from the peer, the connection dropped
/// when <see cref="DefaultPingTimeout"/> passes without one, as <c>SocketsHttpHandler</c>'s keep-alive does, so a link that a
/// partition left half-open is replaced once it heals), RST_STREAM, GOAWAY and the response's trailers.</para>
/// <para><see cref="Closed"/> fails when the call ends for any reason other than this side completing it: a
/// trailers' <c>grpc-status</c> other than OK as an <see cref="RpcException"/> with the server's message; the peer
/// ending the connection or the stream early as an <see cref="HttpIOException"/> with
/// <see cref="HttpRequestError.ResponseEnded"/>, which <see cref="PeerClosure"/> reads as the peer's end closing.</para>
/// </remarks>
internal sealed partial class PeerStreamCall : IAsyncDisposable
{
    /// <summary>Send a PING after this long without any frame from the peer (the KeepAlivePingDelay the peer channels use).</summary>
    public static readonly TimeSpan DefaultPingDelay = TimeSpan.FromSeconds(5);

    /// <summary>Drop the connection when a PING goes unanswered this long.</summary>
    public static readonly TimeSpan DefaultPingTimeout = TimeSpan.FromSeconds(5);

    private const int StreamId = 1;
    private const int DefaultWindow = 65_535;
    private const int ReceiveWindowUpdateAt = 32 * 1024;
    private const int SettingsInitialWindowSize = 0x4;
    private const int SettingsMaxFrameSize = 0x5;

    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _windowLock = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly HpackDecoder _hpack = new();
    private readonly Task _reader;
    private readonly Task _keepAlive;
    private long _connectionWindow = DefaultWindow;
    private long _streamWindow = DefaultWindow;
    private int _peerInitialWindow = DefaultWindow;
    private int _maxFrameSize = Http2Frame.DefaultMaxFrameSize;
    private TaskCompletionSource? _windowOpened;
    private long _lastReceived = Environment.TickCount64;
    private long _pingSent;
    private bool _completing;

    private readonly TimeSpan _pingDelay;
    private readonly TimeSpan _pingTimeout;

    // A quarter of the shorter bound: late by at most that much, and an idle call wakes 0.8 times a second by default.
    private readonly TimeSpan _keepAliveCheck;

    private PeerStreamCall(Stream stream, TimeSpan pingDelay, TimeSpan pingTimeout)
    {
        _stream = stream;
        _pingDelay = pingDelay;
        _pingTimeout = pingTimeout;
        _keepAliveCheck = (pingDelay < pingTimeout ? pingDelay : pingTimeout) / 4;
        _reader = Task.Run(ReadAsync);
        _keepAlive = Task.Run(KeepAliveAsync);
    }

    /// <summary>Completes when the call has ended: successfully only after <see cref="CompleteAsync"/>; see the remarks for failures.</summary>
    public Task Closed => _closed.Task;

    /// <summary>
    /// Connects to <paramref name="url"/> (TLS with ALPN h2 for https, with <paramref name="tls"/>; HTTP/2 without TLS
    /// for http) and starts the call at <paramref name="path"/>.
    /// </summary>
    public static async Task<PeerStreamCall> OpenAsync(Uri url, string path, SslClientAuthenticationOptions? tls, TimeSpan connectTimeout, CancellationToken cancellationToken, TimeSpan? pingDelay = null, TimeSpan? pingTimeout = null)
    {
        var https = string.Equals(url.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);
        if (https && tls is null)
        {
            throw new InvalidOperationException($"peer URL {url} needs TLS, but no peer certificate was configured");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connect.CancelAfter(connectTimeout);
                try
                {
                    await socket.ConnectAsync(url.IdnHost, url.Port, connect.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new IOException($"connecting to {url.Authority} timed out after {connectTimeout.TotalMilliseconds:0} ms");
                }
            }

            stream = new NetworkStream(socket, ownsSocket: true);
            if (https)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                var options = new SslClientAuthenticationOptions
                {
                    TargetHost = url.IdnHost,
                    ClientCertificates = tls!.ClientCertificates,
                    RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                };
                await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
                if (ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
                {
                    throw new IOException($"peer {url.Authority} did not agree to HTTP/2 over TLS (ALPN)");
                }
            }

            await stream.WriteAsync(Opening(url, path), cancellationToken).ConfigureAwait(false);
            return new PeerStreamCall(stream, pingDelay ?? DefaultPingDelay, pingTimeout ?? DefaultPingTimeout);
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Sends one message. Returns once the socket took its bytes: at once, unless flow control or a full socket buffer
    /// holds it back. Messages are sent in the order of the calls; calls must not overlap.
    /// </summary>
    public async ValueTask WriteAsync(IMessage message, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        var size = message.CalculateSize();
        var length = 5 + size;
        var buffer = ArrayPool<byte>.Shared.Rent(Http2Frame.HeaderLength + length);
        try
        {
            // The gRPC message (uncompressed flag, big-endian length, then the protobuf bytes) after room for one
            // frame header; a message larger than one frame is sent in pieces, each with its own header.
            buffer[Http2Frame.HeaderLength] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(Http2Frame.HeaderLength + 1), (uint)size);
            message.WriteTo(buffer.AsSpan(Http2Frame.HeaderLength + 5, size));
            var sent = 0;
            while (sent < length)
            {
                var chunk = await TakeWindowAsync(Math.Min(length - sent, Volatile.Read(ref _maxFrameSize)), cancellationToken).ConfigureAwait(false);
                if (sent == 0)
                {
                    new Http2Frame(chunk, Data, 0, StreamId).Write(buffer);
                    await SendAsync(buffer.AsMemory(0, Http2Frame.HeaderLength + chunk), default, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var header = new byte[Http2Frame.HeaderLength];
                    new Http2Frame(chunk, Data, 0, StreamId).Write(header);
                    await SendAsync(header, buffer.AsMemory(Http2Frame.HeaderLength + sent, chunk), cancellationToken).ConfigureAwait(false);
                }

                sent += chunk;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Ends this side of the stream and waits (briefly) for the server's answer.</summary>
    public async Task CompleteAsync(TimeSpan wait)
    {
        ThrowIfClosed();
        Volatile.Write(ref _completing, true);
        var frame = new byte[Http2Frame.HeaderLength];
        new Http2Frame(0, Data, Http2Frame.EndStream, StreamId).Write(frame);
        await SendAsync(frame, default, _stop.Token).ConfigureAwait(false);
        await Task.WhenAny(_closed.Task, Task.Delay(wait)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Close(new ObjectDisposedException(nameof(PeerStreamCall), "the call was closed by this side"));
        await _stop.CancelAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_reader, _keepAlive).ConfigureAwait(false);
        _stop.Dispose();
        _writeGate.Dispose();
    }

    /// <summary>The connection preface, this side's SETTINGS (no server push) and the call's HEADERS frame.</summary>
    private static byte[] Opening(Uri url, string path)
    {
        var block = new ArrayBufferWriter<byte>(256);
        HpackLiteral.WriteGrpcRequest(block, url.Scheme.ToLowerInvariant(), url.Authority, path);
        if (block.WrittenCount > Http2Frame.DefaultMaxFrameSize)
        {
            throw new ArgumentException($"the request headers for {url} do not fit one frame", nameof(url));
        }

        var preface = Http2Frame.ClientPreface;
        var output = new byte[preface.Length + Http2Frame.HeaderLength + 6 + Http2Frame.HeaderLength + block.WrittenCount];
        preface.CopyTo(output);
        var at = preface.Length;
        new Http2Frame(6, Settings, 0, 0).Write(output.AsSpan(at));
        at += Http2Frame.HeaderLength;
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(at), 0x2);
        BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(at + 2), 0);
        at += 6;
        new Http2Frame(block.WrittenCount, Headers, Http2Frame.EndHeaders, StreamId).Write(output.AsSpan(at));
        block.WrittenSpan.CopyTo(output.AsSpan(at + Http2Frame.HeaderLength));
        return output;
    }

    /// <summary>Takes up to <paramref name="wanted"/> bytes of send credit, waiting while either window is empty.</summary>
    private async ValueTask<int> TakeWindowAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task opened;
            lock (_windowLock)
            {
                var available = Math.Min(_connectionWindow, _streamWindow);
                if (available > 0)
                {
                    var taken = (int)Math.Min(available, wanted);
                    _connectionWindow -= taken;
                    _streamWindow -= taken;
                    return taken;
                }

                _windowOpened ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                opened = _windowOpened.Task;
            }

            await opened.WaitAsync(cancellationToken).ConfigureAwait(false);
            ThrowIfClosed();
        }
    }

    private void AddWindow(int streamId, long increment)
    {
        TaskCompletionSource? opened;
        lock (_windowLock)
        {
            if (streamId == 0)
            {
                _connectionWindow += increment;
            }
            else if (streamId == StreamId)
            {
                _streamWindow += increment;
            }

            opened = _windowOpened;
            _windowOpened = null;
        }

        opened?.TrySetResult();
    }

    /// <summary>Writes <paramref name="first"/>, then <paramref name="second"/>, with no other frame between them.</summary>
    private async ValueTask SendAsync(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> second, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(first, cancellationToken).ConfigureAwait(false);
            if (!second.IsEmpty)
            {
                await _stream.WriteAsync(second, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Close(e);
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed.Task.IsCompleted)
        {
            // The reason the call ended, as the caller would have seen it from Closed.
            _closed.Task.GetAwaiter().GetResult();
            throw new IOException("the peer stream has ended");
        }
    }

    private void Close(Exception? reason)
    {
        var done = reason is null ? _closed.TrySetResult() : _closed.TrySetException(reason);
        if (done)
        {
            AddWindow(-1, 0);
        }
    }
}
