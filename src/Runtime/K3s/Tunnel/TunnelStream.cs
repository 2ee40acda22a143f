using K3sLab.K3s.Streams;

namespace K3sLab.K3s.Tunnel;

/// <summary>
/// One stream of a <see cref="TunnelSession"/>, used like a socket's stream (TLS and HTTP run over it).
/// </summary>
/// <remarks>
/// <para>Flow control: each direction starts with <see cref="TunnelFrame.InitialWindow"/> bytes of credit. A write
/// waits while the peer has granted no credit; bytes read are returned to the peer as credit once half a window has
/// been consumed. So at most one window per direction is buffered, and a peer that sends past its credit has its
/// stream reset.</para>
/// <para>Closing: <see cref="CloseWriteAsync"/> sends a half close (the peer reads end of stream). Disposing a stream
/// that is not closed both ways resets it, so the peer's end stops at once, as an aborted TCP connection would.</para>
/// <para>Thread-safety: one reader and one writer may run concurrently, with the session delivering frames from its
/// receive loop; the state is guarded by one lock and no lock is held while waiting.</para>
/// </remarks>
internal sealed class TunnelStream : AsyncDuplexStream
{
    private readonly TunnelSession _session;
    private readonly Lock _gate = new();
    private readonly Queue<byte[]> _received = new();
    private readonly TaskCompletionSource _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _headOffset;
    private int _consumed;
    private int _receiveWindow = TunnelFrame.InitialWindow;
    private int _sendCredit = TunnelFrame.InitialWindow;
    private bool _remoteClosed;
    private bool _localClosed;
    private string? _resetReason;
    private TaskCompletionSource? _readable;
    private TaskCompletionSource? _writable;
    private int _disposed;

    internal TunnelStream(TunnelSession session, uint id, string target)
    {
        _session = session;
        Id = id;
        Target = target;
    }

    /// <summary>The stream's id in its session.</summary>
    public uint Id { get; }

    /// <summary>What the stream was opened to (the Open frame's target).</summary>
    public string Target { get; }

    /// <summary>Completes when the peer accepts the Open; faults with <see cref="TunnelException"/> when it resets it.</summary>
    internal Task Accepted => _accepted.Task;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            Task wait;
            int credit = 0;
            lock (_gate)
            {
                if (_received.Count > 0)
                {
                    var read = 0;
                    while (read < buffer.Length && _received.TryPeek(out var head))
                    {
                        var n = Math.Min(buffer.Length - read, head.Length - _headOffset);
                        head.AsSpan(_headOffset, n).CopyTo(buffer.Span[read..]);
                        read += n;
                        _headOffset += n;
                        if (_headOffset == head.Length)
                        {
                            _received.Dequeue();
                            _headOffset = 0;
                        }
                    }

                    _consumed += read;
                    if (_consumed >= TunnelFrame.InitialWindow / 2 && !_remoteClosed && _resetReason is null)
                    {
                        credit = _consumed;
                        _receiveWindow += credit;
                        _consumed = 0;
                    }

                    if (credit > 0)
                    {
                        _session.Post(TunnelFrame.Window(Id, credit));
                    }

                    return read;
                }

                if (_resetReason is not null)
                {
                    throw new IOException($"the tunnel stream to {Target} was reset: {_resetReason}");
                }

                if (_remoteClosed)
                {
                    return 0;
                }

                _readable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _readable.Task;
            }

            await wait.WaitAsync(cancellationToken);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            Task? wait = null;
            var n = 0;
            lock (_gate)
            {
                if (_resetReason is not null)
                {
                    throw new IOException($"the tunnel stream to {Target} was reset: {_resetReason}");
                }

                if (_localClosed || _disposed != 0)
                {
                    throw new ObjectDisposedException(nameof(TunnelStream), "the tunnel stream is closed for writing");
                }

                if (_sendCredit > 0)
                {
                    n = Math.Min(Math.Min(_sendCredit, TunnelFrame.MaxData), buffer.Length);
                    _sendCredit -= n;

                    // Posted under the lock so the frames of one stream keep their order against its Close and Reset.
                    _session.Post(TunnelFrame.Data(Id, buffer[..n].ToArray()));
                }
                else
                {
                    _writable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _writable.Task;
                }
            }

            if (wait is not null)
            {
                await wait.WaitAsync(cancellationToken);
            }
            else
            {
                buffer = buffer[n..];
            }
        }
    }

    /// <summary>Sends a half close: the peer reads the end of the stream; reading here goes on. Idempotent.</summary>
    public Task CloseWriteAsync()
    {
        lock (_gate)
        {
            if (!_localClosed && _resetReason is null)
            {
                _localClosed = true;
                _session.Post(TunnelFrame.Close(Id));
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The peer accepted the Open.</summary>
    internal void OnAccepted() => _accepted.TrySetResult();

    /// <summary>Data from the peer; false when it exceeds the credit granted (the session then resets the stream).</summary>
    internal bool OnData(ReadOnlyMemory<byte> data)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (_resetReason is not null || _remoteClosed)
            {
                return _resetReason is not null;
            }

            if (data.Length > _receiveWindow)
            {
                return false;
            }

            _receiveWindow -= data.Length;
            if (_disposed != 0)
            {
                return true;
            }

            _received.Enqueue(data.ToArray());
            wake = _readable;
            _readable = null;
        }

        wake?.TrySetResult();
        return true;
    }

    /// <summary>Credit returned by the peer.</summary>
    internal void OnWindow(int credit)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _sendCredit = (int)Math.Min(int.MaxValue, (long)_sendCredit + credit);
            wake = _writable;
            _writable = null;
        }

        wake?.TrySetResult();
    }

    /// <summary>The peer's half close; true when the stream is now closed both ways.</summary>
    internal bool OnClose()
    {
        TaskCompletionSource? wake;
        bool done;
        lock (_gate)
        {
            _remoteClosed = true;
            done = _localClosed;
            wake = _readable;
            _readable = null;
        }

        wake?.TrySetResult();
        return done;
    }

    /// <summary>The stream ends in both directions: a Reset from the peer, or the session's end.</summary>
    internal void OnReset(string reason)
    {
        TaskCompletionSource? readable, writable;
        lock (_gate)
        {
            _resetReason ??= reason;
            readable = _readable;
            writable = _writable;
            _readable = _writable = null;
        }

        readable?.TrySetResult();
        writable?.TrySetResult();
        _accepted.TrySetException(new TunnelException(reason));
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            bool reset;
            lock (_gate)
            {
                reset = _resetReason is null && !(_localClosed && _remoteClosed);
                _resetReason ??= "closed";
                _received.Clear();
            }

            if (reset)
            {
                _session.Post(TunnelFrame.Reset(Id, "closed"));
            }

            _session.Forget(Id);
            OnReset("closed");
        }

        base.Dispose(disposing);
    }
}
