using K3sLab.Scenarios.Chaos.Definitions;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.ChaosTests.Scenarios;

/// <summary>
/// The library's <c>service-server-death</c> in Docker: a pod on an agent keeps calling a Service by its DNS name
/// (resolv.conf, the kube-dns Service, the cluster DNS in the servers, the service proxy) while a server loses power
/// for 40 s. Calls are answered by both agents' web pods before, during and after, and every failed call falls within
/// the 25 s after the kill (a lookup sent to the dead server before the survivors drop it from kube-dns's endpoints,
/// when its lease runs out).
/// </summary>
[Trait("Category", "Chaos")]
public sealed class ServiceScenarioTests(NodeImageFixture image) : IClassFixture<NodeImageFixture>
{
    private readonly string _reports = Path.Combine(Path.GetTempPath(), "k3slab-chaos-service-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task ServiceServerDeath_PodKeepsReachingTheServiceByName()
    {
        _ = image.Image;
        var ct = TestContext.Current.CancellationToken;

        var run = (await new ChaosSession(NullLogger.Instance).RunAsync(ScenarioLibrary.Find("service-server-death"), new ChaosSessionOptions(1, 41, _reports, null), ct)).Single();

        run.Passed.Should().BeTrue($"{run.Verdict} (reports in {_reports})");
        var outage = run.Checks.Single(c => c.Name == "service-outage").Summary;
        outage.Should().MatchRegex(@"^[\d,]+ calls from agent-0 to http://probe-[0-9a-f]{8}: ");
        int.Parse(outage[..outage.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeGreaterThan(100, "the probe calls about twice a second for the 90 s of the run");
        outage.Should().MatchRegex(@"probe-web-[0-9a-f]{8}-agent-0 \d+, probe-web-[0-9a-f]{8}-agent-1 \d+\)", "the proxy spreads the calls over both agents' pods");
        var started = run.Record.Timeline.Single(e => e.Text.Contains(" one call after another ", StringComparison.Ordinal)).At;
        var kill = run.Record.Timeline.Single(e => e.Kind == "fault" && e.Text.StartsWith("kill server-0", StringComparison.Ordinal));
        run.Record.Timeline.Where(e => e.Text.StartsWith("service-probe: ", StringComparison.Ordinal) && e.Text.Contains(" failed from ", StringComparison.Ordinal))
            .Should().OnlyContain(e => e.At < started || (e.At >= kill.At - K3sLab.Scenarios.Chaos.Workloads.ServiceProbeCall.TimeoutSeconds && e.At <= kill.At + 25), "calls fail only while the web pods start, or when they were under way at the kill or began while the dead server was still in kube-dns's endpoints");
    }
}
