using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Replication.Wire;
using K3sLab.Lab.Host;
using K3sLab.Lab.Tests.Agent;
using K3sLab.Raft;

namespace K3sLab.Lab.Tests.Replication.Transport;

/// <summary>
/// The peer stream's own HTTP/2 client against the real peer server (Kestrel and the gRPC service): messages arrive
/// whole and in order, one far larger than every flow-control window included; refusals come back with the
/// server's status; the end of the server and a silent peer both end the call.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PeerStreamCallTests
{
    private const ulong ClusterId = 0xC1;
    private const ulong Sender = 0x51;
    private const ulong Receiver = 0x52;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Messages_ArriveWholeAndInOrder_IncludingOneLargerThanEveryWindow()
    {
        var inbox = new RecordingInbox();
        await using var server = await StartServerAsync(inbox);
        await using var call = await OpenAsync(server.Url);

        // 20 MiB: past the 65,535-byte window the call starts with, and past the server's 8 MiB stream and 16 MiB
        // connection windows, so it goes out only as the server hands credit back.
        var big = new byte[20 * 1024 * 1024];
        Random.Shared.NextBytes(big);
        for (ulong i = 1; i <= 100; i++)
        {
            await call.WriteAsync(Batch(Append(i, 200)), Ct);
        }

        await call.WriteAsync(Batch(Append(101, big)), Ct);
        for (ulong i = 102; i <= 200; i++)
        {
            await call.WriteAsync(Batch(Append(i, 200)), Ct);
        }

        await Eventually.TrueAsync(() => inbox.Messages.Count == 200, "every message delivered");
        inbox.Messages.Select(m => m.Entries[0].Index).Should().Equal(Enumerable.Range(1, 200).Select(i => (ulong)i));
        inbox.Messages[100].Entries[0].Data.ToArray().Should().Equal(big);
        inbox.Messages[0].Entries[0].Data.ToArray().Should().HaveCount(200);

        await call.CompleteAsync(TimeSpan.FromSeconds(5));
        await call.Closed.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        call.Closed.IsCompletedSuccessfully.Should().BeTrue("the server answered the end of the stream with OK");
        inbox.Broken.Should().BeEmpty("a stream ended by its sender is not a broken one");
    }

    [Fact]
    public async Task AnotherClusterId_EndsTheCall_WithTheServersFailedPrecondition()
    {
        var inbox = new RecordingInbox();
        await using var server = await StartServerAsync(inbox);
        await using var call = await OpenAsync(server.Url);

        var foreign = Batch(Append(1, 10));
        foreign.ClusterId = ClusterId ^ 1;
        await call.WriteAsync(foreign, Ct);

        var ended = await call.Closed.Awaiting(t => t.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Should().ThrowAsync<RpcException>();
        ended.Which.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        ended.Which.Status.Detail.Should().Contain("cluster ID mismatch");
        PeerClosure.ClosedByPeer(ended.Which).Should().BeFalse("a refusal is not the peer's end going away");
        inbox.Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task ServerStopping_EndsTheCall_AsClosedByThePeer()
    {
        var inbox = new RecordingInbox();
        var server = await StartServerAsync(inbox);
        await using var call = await OpenAsync(server.Url);
        await call.WriteAsync(Batch(Append(1, 10)), Ct);
        await Eventually.TrueAsync(() => inbox.Messages.Count == 1, "the first message delivered");

        await server.DisposeAsync();

        var ended = await call.Closed.Awaiting(t => t.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Should().ThrowAsync<Exception>();
        PeerClosure.ClosedByPeer(ended.Which).Should().BeTrue($"the server's end closed ({ended.Which.GetType().Name}: {ended.Which.Message})");
        var write = async () => await call.WriteAsync(Batch(Append(2, 10)), Ct);
        await write.Should().ThrowAsync<Exception>("a call that ended takes no more messages");
    }

    [Fact]
    public async Task PeerThatNeverAnswers_IsDroppedAfterThePingTimeout()
    {
        // A listener whose process reads nothing and writes nothing: what a peer behind a partition that drops
        // packets looks like once the connection exists.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        var accepted = listener.AcceptSocketAsync(Ct);
        await using var call = await PeerStreamCall.OpenAsync(url, "/k3slab.peer.RaftPeer/Stream", null, TimeSpan.FromSeconds(1), Ct, pingDelay: TimeSpan.FromMilliseconds(200), pingTimeout: TimeSpan.FromMilliseconds(300));
        using var silent = await accepted;

        var ended = await call.Closed.Awaiting(t => t.WaitAsync(TimeSpan.FromSeconds(10), Ct)).Should().ThrowAsync<IOException>();
        ended.Which.Message.Should().Contain("did not answer a keep-alive PING within 300 ms");
    }

    [Fact]
    public async Task NothingListening_FailsToOpen_WithConnectionRefused()
    {
        var port = Loopback.FreePort();
        var open = async () => await PeerStreamCall.OpenAsync(new Uri($"http://127.0.0.1:{port}"), "/k3slab.peer.RaftPeer/Stream", null, TimeSpan.FromSeconds(1), Ct);

        (await open.Should().ThrowAsync<SocketException>()).Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
    }

    private static Task<PeerStreamCall> OpenAsync(string url) =>
        PeerStreamCall.OpenAsync(new Uri(url), "/k3slab.peer.RaftPeer/Stream", null, TimeSpan.FromSeconds(1), Ct);

    private static async Task<RunningServer> StartServerAsync(RecordingInbox inbox)
    {
        var port = Loopback.FreePort();
        var app = PeerServer.Build(inbox, new IPEndPoint(IPAddress.Loopback, port), tls: null);
        await app.StartAsync(Ct);
        return new RunningServer(app, $"http://127.0.0.1:{port}");
    }

    private static PeerBatch Batch(Message m)
    {
        var batch = new PeerBatch { ClusterId = ClusterId, From = Sender, To = Receiver };
        batch.Messages.Add(MessageMapping.ToWire(m));
        return batch;
    }

    private static Message Append(ulong index, int bytes) => Append(index, new byte[bytes]);

    private static Message Append(ulong index, byte[] data) =>
        new(MessageType.Append, Sender, Receiver, 1) { Index = index - 1, LogTerm = 1, Entries = [new Entry(index, 1, data)] };

    private sealed class RunningServer(Microsoft.AspNetCore.Builder.WebApplication app, string url) : IAsyncDisposable
    {
        private bool _stopped;

        public string Url { get; } = url;

        public async ValueTask DisposeAsync()
        {
            if (!_stopped)
            {
                _stopped = true;
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await app.StopAsync(stopping.Token);
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>Records what the peer server hands on; knows only the sender.</summary>
    private sealed class RecordingInbox : IPeerInbox
    {
        private readonly ConcurrentQueue<Message> _messages = new();

        public List<Message> Messages => [.. _messages];

        public ConcurrentBag<ulong> Broken { get; } = [];

        public ulong ClusterId => PeerStreamCallTests.ClusterId;

        public ulong Leader => 0;

        public bool Knows(ulong memberId) => memberId == Sender;

        public void Deliver(IReadOnlyList<Message> messages)
        {
            foreach (var m in messages)
            {
                _messages.Enqueue(m);
            }
        }

        public void StreamBroken(ulong memberId) => Broken.Add(memberId);

        public Task<(ulong Term, ulong Index)?> ProposeForwardedAsync(byte[] entry, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ProposalResult?> ProposeConfChangeAsLeaderAsync(ConfChange change, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long?> KeepAliveAsLeaderAsync(long id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<LeaseAnswer> TimeToLiveAsLeaderAsync(long id, bool withKeys, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
