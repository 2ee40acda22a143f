using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using K3sLab.K3s.Agent.LoadBalancer;
using K3sLab.K3s.Tls;

namespace K3sLab.Lab.Tests.Agent;

/// <summary>The agent's <c>/ping</c> check against a minimal TLS server on loopback.</summary>
[Trait("Category", "Integration")]
public sealed class PingHealthCheckTests : IDisposable
{
    private readonly CertificateAuthority _ca = CertificateAuthority.Create("k3s-server-ca");
    private readonly CertificateAuthority _otherCa = CertificateAuthority.Create("k3s-server-ca");
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _ca.Dispose();
        _otherCa.Dispose();
    }

    [Fact]
    public async Task Check_ServerAnswersPong_IsHealthy()
    {
        var address = Serve(_ca.IssueServing("k3s", [], [IPAddress.Loopback]), "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong");

        (await CheckAsync(address)).Should().BeTrue();
    }

    [Fact]
    public async Task Check_CertificateForAnotherName_IsStillHealthy()
    {
        // The check decides where bytes go; the proxied clients verify the server's name themselves.
        var address = Serve(_ca.IssueServing("k3s", ["elsewhere.example"], []), "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong");

        (await CheckAsync(address)).Should().BeTrue();
    }

    [Fact]
    public async Task Check_CertificateFromAnotherCa_IsUnhealthy()
    {
        var address = Serve(_otherCa.IssueServing("k3s", [], [IPAddress.Loopback]), "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong");

        (await CheckAsync(address)).Should().BeFalse();
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\npong")]
    public async Task Check_AnythingButPong_IsUnhealthy(string response)
    {
        var address = Serve(_ca.IssueServing("k3s", [], [IPAddress.Loopback]), response);

        (await CheckAsync(address)).Should().BeFalse();
    }

    [Fact]
    public async Task Check_ServerNeverAnswers_IsUnhealthyWhenTheTokenFires()
    {
        var address = Serve(_ca.IssueServing("k3s", [], [IPAddress.Loopback]), response: null);
        (await CheckAsync(address, within: TimeSpan.FromMilliseconds(300))).Should().BeFalse();
    }

    [Fact]
    public async Task Check_NothingListening_IsUnhealthy()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var address = $"127.0.0.1:{((IPEndPoint)probe.LocalEndPoint!).Port}";

        (await CheckAsync(address)).Should().BeFalse();
    }

    private Task<bool> CheckAsync(string address) => CheckAsync(address, TestClient.Patience);

    private async Task<bool> CheckAsync(string address, TimeSpan within)
    {
        using var check = new PingHealthCheck(_ca.Certificate);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(within);
        return await check.Check(address, bound.Token);
    }

    /// <summary>Serves TLS with <paramref name="certificate"/>, answering every request with <paramref name="response"/> (or never).</summary>
    private string Serve(X509Certificate2 certificate, string? response)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        _owned.Add(listener);
        _owned.Add(certificate);
        _ = AcceptAsync(listener, certificate, response);
        return $"127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}";
    }

    private static async Task AcceptAsync(Socket listener, X509Certificate2 certificate, string? response)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptAsync();
                _ = AnswerAsync(client, certificate, response);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The test is over.
        }
    }

    private static async Task AnswerAsync(Socket client, X509Certificate2 certificate, string? response)
    {
        try
        {
            await using var tls = new SslStream(new NetworkStream(client, ownsSocket: true));
            await tls.AuthenticateAsServerAsync(certificate);
            var request = new StringBuilder();
            var buffer = new byte[1024];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await tls.ReadAsync(buffer);
                if (read == 0)
                {
                    return;
                }

                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            if (response is null)
            {
                // Hold the request until the client gives up.
                _ = await tls.ReadAtLeastAsync(buffer, 1, throwOnEndOfStream: false);
                return;
            }

            await tls.WriteAsync(Encoding.ASCII.GetBytes(response));
            await tls.FlushAsync();
            _ = await tls.ReadAtLeastAsync(buffer, 1, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // The client hung up or refused the certificate.
        }
    }
}
