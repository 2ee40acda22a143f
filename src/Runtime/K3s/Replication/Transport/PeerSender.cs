using System.Net.Sockets;
using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using K3sLab.K3s.Replication.Wire;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>
/// Sends one peer's messages over one long-lived stream, reconnecting with backoff. Raft tolerates loss, so when
/// the peer is down or the queue is full, messages are dropped and the host is told the peer is unreachable;
/// the leader then probes again instead of flooding a dead link. Messages that queued up while the last batch was
/// written go out as the next batch, with back-to-back appends merged (<see cref="MessageCoalescing"/>).
/// </summary>
internal sealed partial class PeerSender : IAsyncDisposable
{
    private const int QueueCapacity = 4096;
    private const int MaxBatch = 256;
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    /// <summary>How long a sender that is closing waits for the peer to answer the end of its stream.</summary>
    private static readonly TimeSpan CompleteWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the probe waits for any answer. A live peer's kernel answers a SYN by itself, within a millisecond on
    /// a LAN, whatever its process is doing; so "no answer" in this time after the peer closed its stream means its
    /// machine or container went away with its address, not that it is slow.
    /// </summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(250);

    private readonly Channel<Message> _queue = System.Threading.Channels.Channel.CreateBounded<Message>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly ulong _clusterId;
    private readonly ulong _from;
    private readonly ulong _to;
    private readonly Action<ulong> _unreachable;
    private readonly Action<ulong> _peerDown;
    private readonly Action<ulong, bool> _snapshotSent;
    private readonly Func<Snapshot, CancellationToken, Task<Snapshot>> _loadSnapshot;
    private readonly PeerChannels _channels;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private int _downLogged;

    public PeerSender(ulong clusterId, ulong from, ulong to, string url, PeerChannels channels, Action<ulong> unreachable, Action<ulong> peerDown, Action<ulong, bool> snapshotSent, Func<Snapshot, CancellationToken, Task<Snapshot>> loadSnapshot, ILogger logger)
    {
        _loadSnapshot = loadSnapshot;
        _peerDown = peerDown;
        _snapshotSent = snapshotSent;
        _clusterId = clusterId;
        _from = from;
        _to = to;
        Url = url;
        _unreachable = unreachable;
        _logger = logger;
        _channels = channels;
        Channel = channels.For(url);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The peer URL this sender dials.</summary>
    public string Url { get; }

    /// <summary>The gRPC channel to the peer, also used for forwarding and lease calls.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>
    /// The snapshot message with its data read in; null, and the snapshot reported not sent, when it cannot be read
    /// (the leader tries again, with its newest snapshot then).
    /// </summary>
    private async Task<Message?> WithSnapshotDataAsync(Message m)
    {
        try
        {
            return m with { Snapshot = await _loadSnapshot(m.Snapshot!, _stop.Token).ConfigureAwait(false) };
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Log.SnapshotUnreadable(_logger, m.Snapshot!.Index, _to, e.Message);
            _snapshotSent(_to, false);
            return null;
        }
    }

    /// <summary>Queues a message; false (and the peer reported unreachable) when the queue is full.</summary>
    public bool TrySend(Message message)
    {
        if (_queue.Writer.TryWrite(message))
        {
            return true;
        }

        _unreachable(_to);
        return false;
    }

    private async Task RunAsync()
    {
        var backoff = MinBackoff;
        var wasDown = false;
        var pending = new List<Message>(MaxBatch);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (!await _queue.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                {
                    return;
                }

                await using var call = await _channels.OpenStreamAsync(Url, _stop.Token).ConfigureAwait(false);
                _ = WatchForPeerDeathAsync(call.Closed);

                // A follower sends nothing to another follower for as long as the leader lives, so a call can sit
                // idle long after its peer restarted and ended it. Waiting for the next message also ends when the
                // call does, and that message then goes on a new call at once, instead of failing on the dead one and
                // waiting out a back-off (a pre-vote lost that way cost 1.3 s of an election in the lab).
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                _ = call.Closed.ContinueWith(static (_, state) => CancelQuietly((CancellationTokenSource)state!), idle, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                while (true)
                {
                    var batch = new PeerBatch { ClusterId = _clusterId, From = _from, To = _to };
                    var snapshots = 0;
                    pending.Clear();
                    while (pending.Count < MaxBatch && _queue.Reader.TryRead(out var m))
                    {
                        if (pending.Count > 0 && MessageCoalescing.TryMerge(pending[^1], m, out var merged))
                        {
                            pending[^1] = merged;
                            continue;
                        }

                        pending.Add(m);
                    }

                    foreach (var m in pending)
                    {
                        if (m.Snapshot is null)
                        {
                            batch.Messages.Add(MessageMapping.ToWire(m));
                        }
                        else if (await WithSnapshotDataAsync(m).ConfigureAwait(false) is { } filled)
                        {
                            batch.Messages.Add(MessageMapping.ToWire(filled));
                            snapshots++;
                        }
                    }

                    if (batch.Messages.Count > 0)
                    {
                        try
                        {
                            await call.WriteAsync(batch, _stop.Token).ConfigureAwait(false);
                        }
                        catch when (snapshots > 0)
                        {
                            _snapshotSent(_to, false);
                            throw;
                        }

                        if (snapshots > 0)
                        {
                            _snapshotSent(_to, true);
                        }

                        if (wasDown)
                        {
                            Log.Reconnected(_logger, _to, Url);
                            wasDown = false;
                            Volatile.Write(ref _downLogged, 0);
                        }

                        backoff = MinBackoff;
                    }

                    bool more;
                    try
                    {
                        more = await _queue.Reader.WaitToReadAsync(idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                    {
                        // The peer ended this call while there was nothing to send: open a new one for the next message.
                        break;
                    }

                    if (!more)
                    {
                        await call.CompleteAsync(CompleteWait).ConfigureAwait(false);
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException or SocketException or System.Security.Authentication.AuthenticationException)
            {
                if (!wasDown)
                {
                    Log.Unreachable(_logger, _to, Url, e.Message);
                    wasDown = true;

                    // A write that failed first ends the call itself, so the response watch sees only a cancellation:
                    // the first failure of a link asks the same question.
                    _ = ProbeAndReportAsync(PeerClosure.ClosedByPeer(e));
                }

                // What was queued for a dead link is stale by the time it comes back; Raft resends what matters.
                while (_queue.Reader.TryRead(out var dropped))
                {
                    if (dropped.Snapshot is not null)
                    {
                        _snapshotSent(_to, false);
                    }
                }

                _unreachable(_to);
                try
                {
                    await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>
    /// The peer answers the stream only when it ends it, so the response failing while this member is not stopping
    /// means the peer's end went away. Then find out whether its process died: a connection to its peer port that is
    /// refused means nothing listens there any more (a kernel answers so for a dead process; a partition or a machine
    /// without power does not answer at all). The core then stops waiting a whole election timeout for a dead leader.
    /// </summary>
    private async Task WatchForPeerDeathAsync(Task closed)
    {
        bool closedByPeer;
        try
        {
            await closed.ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is not ObjectDisposedException && !_stop.IsCancellationRequested)
        {
            // Whatever broke (a reset, an early end, a refusal in the trailers), the probe decides; a disposed call is
            // this sender ending it itself.
            closedByPeer = PeerClosure.ClosedByPeer(e);
        }
        catch (Exception)
        {
            return;
        }

        await ProbeAndReportAsync(closedByPeer).ConfigureAwait(false);
    }

    /// <summary>
    /// The peer's own stream to this member broke off from its side (<see cref="RaftPeerService"/>): the same
    /// question as when this member's stream to it ends, asked from the other direction, so a death is noticed by
    /// whichever stream sees it first.
    /// </summary>
    public void CheckAfterPeerClosed()
    {
        if (!_stop.IsCancellationRequested)
        {
            _ = ProbeAndReportAsync(closedByPeer: true);
        }
    }

    /// <summary>
    /// Reports the peer down on the evidence <see cref="PeerClosure.IsDeath"/> accepts. The core hears every such
    /// report (it ignores those about a member that does not lead it); the log says it once until the peer is
    /// reachable again.
    /// </summary>
    private async Task ProbeAndReportAsync(bool closedByPeer)
    {
        var probe = await ProbeAsync().ConfigureAwait(false);
        if (!PeerClosure.IsDeath(closedByPeer, probe))
        {
            return;
        }

        if (Interlocked.Exchange(ref _downLogged, 1) == 0)
        {
            if (probe == PortProbe.Refused)
            {
                Log.PeerDown(_logger, _to, Url);
            }
            else
            {
                Log.PeerGone(_logger, _to, Url, (int)ProbeTimeout.TotalMilliseconds);
            }
        }

        _peerDown(_to);
    }

    private async Task<PortProbe> ProbeAsync()
    {
        var uri = new Uri(Url);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await socket.ConnectAsync(uri.Host, uri.Port, timeout.Token).ConfigureAwait(false);
            return PortProbe.Answered;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return PortProbe.Refused;
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return PortProbe.NoAnswer;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Unreachable network, no route, stopping: no evidence either way.
            return PortProbe.Failed;
        }
    }

    /// <summary>Cancels unless the source is gone already (the call ends when it is disposed, after its idle source).</summary>
    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call ended because this sender left it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4110, Level = LogLevel.Warning, Message = "Peer {Peer:x16} at {Url} is unreachable: {Reason}")]
        public static partial void Unreachable(ILogger logger, ulong peer, string url, string reason);

        [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "Peer {Peer:x16} at {Url} is down: its stream ended and its peer port refuses connections")]
        public static partial void PeerDown(ILogger logger, ulong peer, string url);

        [LoggerMessage(EventId = 4113, Level = LogLevel.Warning, Message = "Peer {Peer:x16} at {Url} is down: it closed its stream and its address gave no answer within {Ms} ms")]
        public static partial void PeerGone(ILogger logger, ulong peer, string url, int ms);

        [LoggerMessage(EventId = 4115, Level = LogLevel.Error, Message = "Cannot send snapshot {Index} to peer {Peer:x16}: its file could not be read ({Reason})")]
        public static partial void SnapshotUnreadable(ILogger logger, ulong index, ulong peer, string reason);

        [LoggerMessage(EventId = 4111, Level = LogLevel.Information, Message = "Peer {Peer:x16} at {Url} is reachable again")]
        public static partial void Reconnected(ILogger logger, ulong peer, string url);
    }
}
