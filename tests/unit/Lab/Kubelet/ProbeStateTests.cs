using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class ProbeStateTests
{
    private static ProbeSpec Spec(string json) => ProbeSpec.From((JsonObject)JsonNode.Parse($$"""{"readinessProbe":{{json}}}""")!, "readinessProbe")!;

    [Fact]
    public void From_Defaults_AreTheKubelets()
    {
        var spec = Spec("""{"exec":{"command":["true"]}}""");
        spec.InitialDelay.Should().Be(TimeSpan.Zero);
        spec.Period.Should().Be(TimeSpan.FromSeconds(10));
        spec.Timeout.Should().Be(TimeSpan.FromSeconds(1));
        spec.SuccessThreshold.Should().Be(1);
        spec.FailureThreshold.Should().Be(3);
        ProbeSpec.From(new JsonObject(), "livenessProbe").Should().BeNull();
    }

    [Fact]
    public void Readiness_StartsFailed_AndNeedsSuccessThresholdInARow()
    {
        var state = new ProbeState(Spec("""{"tcpSocket":{"port":80},"successThreshold":2}"""), initiallySucceeded: false);
        state.Record(true).Should().BeFalse();
        state.Record(false).Should().BeFalse();
        state.Record(true).Should().BeFalse();
        state.Record(true).Should().BeTrue("two successes in a row");
        state.Succeeded.Should().BeTrue();
    }

    [Fact]
    public void Liveness_StartsSucceeded_AndFailsAfterFailureThresholdInARow()
    {
        var state = new ProbeState(Spec("""{"httpGet":{"port":80},"failureThreshold":3}"""), initiallySucceeded: true);
        state.Record(false).Should().BeFalse();
        state.Record(false).Should().BeFalse();
        state.Record(true).Should().BeFalse("a success resets the count");
        state.Record(false).Should().BeFalse();
        state.Record(false).Should().BeFalse();
        state.Record(false).Should().BeTrue();
        state.Succeeded.Should().BeFalse();
    }
}
