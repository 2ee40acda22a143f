using System.Net;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// <c>/metrics</c> on a real server: Prometheus text with kube-apiserver's request metrics for what kubectl just did,
/// readable by cluster admins and the <c>system:monitoring</c> group, refused to other users.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class MetricsTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    [Fact]
    public async Task Metrics_CountKubectlsRequests_ForAdminsAndMonitoringOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        (await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "get", "configmaps", "-n", "default")).ExitCode.Should().Be(0);

        var raw = await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "get", "--raw", "/metrics");
        raw.ExitCode.Should().Be(0, raw.Stderr);
        var lines = raw.Stdout.Split('\n');
        lines.Should().Contain(l => l.StartsWith("apiserver_request_total{code=\"200\",component=\"apiserver\",dry_run=\"\",group=\"\",resource=\"configmaps\",scope=\"namespace\",subresource=\"\",verb=\"LIST\",version=\"v1\"} ", StringComparison.Ordinal));
        lines.Should().Contain(l => l.StartsWith("apiserver_request_duration_seconds_bucket{", StringComparison.Ordinal) && l.Contains("resource=\"configmaps\"", StringComparison.Ordinal) && l.Contains("le=\"+Inf\"", StringComparison.Ordinal));
        lines.Should().Contain("# TYPE apiserver_request_total counter");

        var (monitorCert, monitorKey) = await ClientCertificates.IssueAsync(server, "prometheus", ["system:monitoring"], ct);
        using var monitor = ClientCertificates.Client(monitorCert, monitorKey);
        (await monitor.GetAsync(server.Url + "/metrics", ct)).StatusCode.Should().Be(HttpStatusCode.OK);

        var (userCert, userKey) = await ClientCertificates.IssueAsync(server, "someone", [], ct);
        using var user = ClientCertificates.Client(userCert, userKey);
        (await user.GetAsync(server.Url + "/metrics", ct)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }
}
