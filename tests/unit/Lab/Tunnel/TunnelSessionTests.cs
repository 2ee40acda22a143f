using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using K3sLab.K3s.Tunnel;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Tunnel;

/// <summary>
/// Two <see cref="TunnelSession"/>s over an in-memory WebSocket pair: the server side opens streams, the agent side
/// dials them to in-memory targets (an echo service, or a refusal).
/// </summary>
[Trait("Category", "Unit")]
public sealed class TunnelSessionTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);
    private readonly List<Task> _targets = [];
    private readonly TaskCompletionSource _holdEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TunnelSession _server = null!;
    private TunnelSession _agent = null!;
    private Task _serverRun = null!;
    private Task _agentRun = null!;

    public ValueTask InitializeAsync()
    {
        var (a, b) = InMemoryDuplex.Create();
        var serverSocket = WebSocket.CreateFromStream(a, isServer: true, subProtocol: null, keepAliveInterval: Timeout.InfiniteTimeSpan);
        var agentSocket = WebSocket.CreateFromStream(b, isServer: false, subProtocol: null, keepAliveInterval: Timeout.InfiniteTimeSpan);
        _server = new TunnelSession(serverSocket, dial: null, NullLogger.Instance);
        _agent = new TunnelSession(agentSocket, DialAsync, NullLogger.Instance);
        _serverRun = _server.RunAsync(CancellationToken.None);
        _agentRun = _agent.RunAsync(CancellationToken.None);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _agent.DisposeAsync();
        await Task.WhenAll(_targets).WaitAsync(Within);
    }

    [Fact]
    public async Task OpenAsync_Echo_BytesFlowBothWays()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = await _server.OpenAsync("echo", ct);
        await stream.WriteAsync("ping"u8.ToArray(), ct);
        Encoding.ASCII.GetString(await ReadExactlyAsync(stream, 4, ct)).Should().Be("ping");
        await stream.WriteAsync("pong"u8.ToArray(), ct);
        Encoding.ASCII.GetString(await ReadExactlyAsync(stream, 4, ct)).Should().Be("pong");
    }

    [Fact]
    public async Task TargetEnds_TheServerReadsItsBytesThenTheEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = await _server.OpenAsync("greet", ct);
        Encoding.ASCII.GetString(await ReadToEndAsync(stream, ct)).Should().Be("hello");
        await stream.CloseWriteAsync();
    }

    [Fact]
    public async Task OpenAsync_MoreThanSeveralWindows_ArrivesIntactAndInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = RandomNumberGenerator.GetBytes(5 * TunnelFrame.InitialWindow + 12345);
        await using var stream = await _server.OpenAsync("echo", ct);
        var writing = Task.Run(async () => await stream.WriteAsync(data, ct), ct);
        var echoed = await ReadExactlyAsync(stream, data.Length, ct);
        await writing;
        echoed.Should().Equal(data);
    }

    [Fact]
    public async Task OpenAsync_ManyStreamsAtOnce_AreKeptApart()
    {
        var ct = TestContext.Current.CancellationToken;
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            await using var stream = await _server.OpenAsync("echo", ct);
            var text = $"stream {i} " + new string((char)('a' + i), 40000);
            var writing = stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct).AsTask();
            var echoed = Encoding.ASCII.GetString(await ReadExactlyAsync(stream, text.Length, ct));
            await writing;
            return (text, echoed);
        }));
        results.Should().OnlyContain(r => r.Item1 == r.Item2);
        _server.StreamCount.Should().Be(0);
    }

    [Fact]
    public async Task OpenAsync_TargetRefused_FailsWithThePeersReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var open = () => _server.OpenAsync("elsewhere", ct);
        (await open.Should().ThrowAsync<TunnelException>()).WithMessage("*only dials echo, greet and hold*");
        _server.StreamCount.Should().Be(0);
    }

    [Fact]
    public async Task ServerSide_RefusesStreamsOpenedByTheAgent()
    {
        var ct = TestContext.Current.CancellationToken;
        var open = () => _agent.OpenAsync("anything", ct);
        (await open.Should().ThrowAsync<TunnelException>()).WithMessage("*accepts no streams*");
    }

    [Fact]
    public async Task Dispose_BeforeTheEnd_ResetsThePeerWhichClosesItsTarget()
    {
        var ct = TestContext.Current.CancellationToken;
        var stream = await _server.OpenAsync("hold", ct);
        _holdEnded.Task.IsCompleted.Should().BeFalse();
        await stream.DisposeAsync();
        await _holdEnded.Task.WaitAsync(Within, ct);
        _server.StreamCount.Should().Be(0);
    }

    [Fact]
    public async Task SessionEnd_ResetsEveryOpenStream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stream = await _server.OpenAsync("hold", ct);
        await _agent.DisposeAsync();
        var read = async () => await stream.ReadAsync(new byte[16], ct);
        await read.Should().ThrowAsync<IOException>().WithMessage("*was reset*");
        await _serverRun.WaitAsync(Within, ct);
    }

    /// <summary>The agent's targets: "echo" answers what it reads; "hold" reads until its connection is closed.</summary>
    private Task<Stream> DialAsync(string target, CancellationToken ct)
    {
        if (target is not ("echo" or "hold" or "greet"))
        {
            throw new TunnelException("this test agent only dials echo, greet and hold");
        }

        var (near, far) = InMemoryDuplex.Create();
        if (target == "echo")
        {
            lock (_targets)
            {
                _targets.Add(Task.Run(async () =>
                {
                    await using (far)
                    {
                        await far.CopyToAsync(far);
                    }
                }));
            }
        }
        else if (target == "greet")
        {
            lock (_targets)
            {
                _targets.Add(Task.Run(async () =>
                {
                    await using (far)
                    {
                        await far.WriteAsync("hello"u8.ToArray());
                    }
                }));
            }
        }
        else
        {
            lock (_targets)
            {
                _targets.Add(Task.Run(async () =>
                {
                    await using (far)
                    {
                        // Reads until the agent closes its end, which a reset of the tunnel stream does.
                        var buffer = new byte[16];
                        while (await far.ReadAsync(buffer) > 0)
                        {
                        }

                        _holdEnded.TrySetResult();
                    }
                }));
            }
        }

        return Task.FromResult(near);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct).AsTask().WaitAsync(Within, ct);
        return buffer;
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken ct)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, ct).WaitAsync(Within, ct);
        return all.ToArray();
    }
}
