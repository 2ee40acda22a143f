using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

/// <summary>
/// Real probes against loopback sockets and real commands: each failure says why in the kubelet's words, which the
/// <c>Unhealthy</c> event carries (<c>kubectl describe pod</c> shows it).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProberTests : IDisposable
{
    private static readonly Dictionary<string, string> Env = new() { ["PATH"] = "/usr/bin:/bin" };
    private readonly Prober _prober = new();

    public void Dispose() => _prober.Dispose();

    [Fact]
    public async Task TcpSocket_ClosedPort_FailsWithGosDialError()
    {
        var port = ClosedPort();
        var result = await ProbeAsync($$$"""{"tcpSocket": {"port": {{{port}}}}}""", TestContext.Current.CancellationToken);
        result.Should().Be(ProbeResult.Fail($"dial tcp 127.0.0.1:{port}: connect: connection refused"));
    }

    [Fact]
    public async Task TcpSocket_Listening_Passes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var result = await ProbeAsync($$$"""{"tcpSocket": {"port": {{{((IPEndPoint)listener.LocalEndpoint).Port}}}}}""", TestContext.Current.CancellationToken);
        result.Passed.Should().BeTrue(result.Output);
    }

    [Fact]
    public async Task HttpGet_ServerError_FailsWithTheStatusCode()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = AnswerOnceAsync(listener, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        var result = await ProbeAsync($$$"""{"httpGet": {"path": "/healthz", "port": {{{((IPEndPoint)listener.LocalEndpoint).Port}}}}}""", TestContext.Current.CancellationToken);
        await serve;
        result.Should().Be(ProbeResult.Fail("HTTP probe failed with statuscode: 503"));
    }

    [Fact]
    public async Task HttpGet_ClosedPort_FailsWithTheUrlAndDialError()
    {
        var port = ClosedPort();
        var result = await ProbeAsync($$$"""{"httpGet": {"path": "healthz", "port": {{{port}}}}}""", TestContext.Current.CancellationToken);
        result.Should().Be(ProbeResult.Fail($"Get \"http://127.0.0.1:{port}/healthz\": dial tcp 127.0.0.1:{port}: connect: connection refused"));
    }

    [Fact]
    public async Task Exec_NonZeroExit_FailsWithWhatTheCommandPrinted()
    {
        var result = await ProbeAsync("""{"exec": {"command": ["sh", "-c", "echo not ready; echo no file >&2; exit 1"]}}""", TestContext.Current.CancellationToken);
        result.Should().Be(ProbeResult.Fail("not ready\nno file\n"));
    }

    [Fact]
    public async Task Exec_PastItsTimeout_FailsAsTimedOut()
    {
        var result = await ProbeAsync("""{"exec": {"command": ["sleep", "30"]}, "timeoutSeconds": 1}""", TestContext.Current.CancellationToken);
        result.Should().Be(ProbeResult.Fail("command \"sleep 30\" timed out"));
    }

    [Fact]
    public async Task Exec_MissingProgram_FailsNamingIt()
    {
        var result = await ProbeAsync("""{"exec": {"command": ["no-such-probe-program"]}}""", TestContext.Current.CancellationToken);
        result.Should().Be(ProbeResult.Fail("exec: \"no-such-probe-program\": executable file not found in $PATH"));
    }

    [Fact]
    public async Task ProbeAsync_CancelledByThePod_Throws()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMilliseconds(200));
        var probe = () => ProbeAsync("""{"exec": {"command": ["sleep", "30"]}, "timeoutSeconds": 10}""", cts.Token);
        await probe.Should().ThrowAsync<OperationCanceledException>("a probe ended by the pod's end is no failure to report");
    }

    private Task<ProbeResult> ProbeAsync(string probe, CancellationToken ct)
    {
        var container = new JsonObject { ["name"] = "app", ["livenessProbe"] = JsonNode.Parse(probe) };
        var spec = ProbeSpec.From(container, "livenessProbe")!;
        return _prober.ProbeAsync(spec, container, Env, "127.0.0.1", null, ct);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task AnswerOnceAsync(TcpListener listener, string response)
    {
        using var client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        var buffer = new byte[4096];
        var request = new StringBuilder();
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
            if (read == 0)
            {
                return;
            }

            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), TestContext.Current.CancellationToken);
    }
}
