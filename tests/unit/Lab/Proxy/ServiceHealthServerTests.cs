using System.Net;
using System.Net.Sockets;
using K3sLab.K3s.Proxy;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Lab.Tests.Proxy;

/// <summary>The health check node port server on loopback: kube-proxy's answer, 200 with local endpoints, 503 without, closed when the port goes.</summary>
[Trait("Category", "Integration")]
public sealed class ServiceHealthServerTests
{
    [Fact]
    public async Task HealthCheckPort_AnswersWithTheLocalEndpointCount_AndClosesWhenTheServiceGoes()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = FreePort();
        await using var server = new ServiceHealthServer(NullLogger.Instance, IPAddress.Loopback);

        server.Update(new Dictionary<int, ServiceHealth> { [port] = new("default", "web", 2) });
        using var http = new HttpClient();
        var healthy = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"), ct);
        ((int)healthy.StatusCode).Should().Be(200);
        healthy.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        healthy.Headers.GetValues("X-Load-Balancing-Endpoint-Weight").Should().Equal("2");
        (await healthy.Content.ReadAsStringAsync(ct)).Should().Be("{\n\t\"service\": {\n\t\t\"namespace\": \"default\",\n\t\t\"name\": \"web\"\n\t},\n\t\"localEndpoints\": 2,\n\t\"serviceProxyHealthy\": true\n}");

        server.Update(new Dictionary<int, ServiceHealth> { [port] = new("default", "web", 0) });
        ((int)(await http.GetAsync(new Uri($"http://127.0.0.1:{port}/"), ct)).StatusCode).Should().Be(503, "no endpoint on this node");
        server.Ports.Should().Equal(port);

        server.Update(new Dictionary<int, ServiceHealth>());
        server.Ports.Should().BeEmpty();
        var refused = () => http.GetAsync(new Uri($"http://127.0.0.1:{port}/"), ct);
        await refused.Should().ThrowAsync<HttpRequestException>("the port is closed with its Service");
    }

    [Fact]
    public void From_TakesEachServicesPort_WithItsLargestLocalCount()
    {
        var a = new ServicePortRule("default", "web", "http", "TCP", ["10.43.0.20"], 80, 30080, [new("172.28.0.100", 8080)]) { HealthCheckNodePort = 31000, LocalEndpoints = [new("172.28.0.100", 8080)] };
        var b = a with { PortName = "https", Port = 443, LocalEndpoints = [] };
        var other = new ServicePortRule("default", "db", "", "TCP", ["10.43.0.21"], 5432, null, []);

        ServiceHealthServer.From([a, b, other]).Should().BeEquivalentTo(new Dictionary<int, ServiceHealth> { [31000] = new("default", "web", 1) });
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
