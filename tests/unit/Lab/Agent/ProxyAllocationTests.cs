using System.Net;
using System.Net.Sockets;
using K3sLab.K3s.Agent.LoadBalancer;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Agent;

/// <summary>Runs alone, so the process-wide allocation counter sees only the transfer under test.</summary>
[CollectionDefinition(nameof(AllocationSensitive), DisableParallelization = true)]
public sealed class AllocationSensitive;

/// <summary>
/// The proxy's copy loop allocates nothing per read: pushing 32 MiB more through the balancer (thousands more reads
/// in each direction) must not allocate measurably more than a small transfer. A difference within one run, not a
/// figure: 32 MiB is at least 3,800 more proxied reads and as many writes, so even 24 bytes per operation would add
/// over 180 KiB, while the 64 KiB bound leaves room for the runner's own background allocations.
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(AllocationSensitive))]
public sealed class ProxyAllocationTests
{
    private const int Mebibyte = 1024 * 1024;

    [Fact]
    public async Task Pipe_BulkTransfer_AllocatesNothingPerRead()
    {
        await using var echo = NamedServer.Start("echo");
        using var dir = new TempDirectory();
        await using var lb = LoadBalancerHost.Start(
            new LoadBalancerOptions
            {
                ServiceName = "k3s-agent-load-balancer",
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                ServerUrl = "https://k3slab-dev-lb:6443",
                StateFile = Path.Combine(dir.Path, "k3s-agent-load-balancer.json"),
                DefaultServer = echo.Address,
                HealthCheckInterval = Timeout.InfiniteTimeSpan,
            },
            (_, _) => Task.FromResult(true),
            NullLogger.Instance);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(lb.LocalEndPoint, TestContext.Current.CancellationToken);
        var send = new byte[64 * 1024];
        var receive = new byte[64 * 1024];
        Random.Shared.NextBytes(send);
        for (var greeting = 0; greeting < "echo\n".Length;)
        {
            var read = await client.ReceiveAsync(receive, SocketFlags.None, TestContext.Current.CancellationToken);
            greeting += read > 0 ? read : throw new IOException("the proxy closed the connection before the greeting");
        }

        await TransferAsync(client, send, receive, Mebibyte);

        var small = await MeasureAsync(client, send, receive, 2 * Mebibyte);
        var large = await MeasureAsync(client, send, receive, 34 * Mebibyte);

        TestContext.Current.SendDiagnosticMessage($"proxy allocations: {small} bytes for 2 MiB echoed, {large} bytes for 34 MiB echoed");
        (large - small).Should().BeLessThan(64 * 1024, "32 MiB more through the proxy is thousands more reads and writes, and none of them may allocate");
    }

    private static async Task<long> MeasureAsync(Socket client, byte[] send, byte[] receive, int bytes)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await TransferAsync(client, send, receive, bytes);
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    /// <summary>Sends <paramref name="bytes"/> and reads as many back (the echo), concurrently, with fixed buffers.</summary>
    private static async Task TransferAsync(Socket client, byte[] send, byte[] receive, int bytes)
    {
        using var timeout = new CancellationTokenSource(TestClient.Patience);
        var token = timeout.Token;
        var sending = SendAsync(client, send, bytes, token);
        for (var received = 0; received < bytes;)
        {
            var read = await client.ReceiveAsync(receive.AsMemory(0, Math.Min(receive.Length, bytes - received)), SocketFlags.None, token);
            if (read == 0)
            {
                throw new IOException($"the proxy closed the connection after {received} of {bytes} bytes");
            }

            received += read;
        }

        await sending;
    }

    private static async Task SendAsync(Socket client, byte[] send, int bytes, CancellationToken token)
    {
        for (var sent = 0; sent < bytes;)
        {
            sent += await client.SendAsync(send.AsMemory(0, Math.Min(send.Length, bytes - sent)), SocketFlags.None, token);
        }
    }

    private sealed class TempDirectory : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("k3slab-agentlb-");

        public string Path => _dir.FullName;

        public void Dispose() => _dir.Delete(recursive: true);
    }
}
