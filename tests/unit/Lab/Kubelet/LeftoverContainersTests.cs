using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet.Pods;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class LeftoverContainersTests
{
    private static readonly JsonObject Pod = (JsonObject)JsonNode.Parse("""
        {"status":{"containerStatuses":[
          {"name":"running","restartCount":2,"state":{"running":{"startedAt":"2026-12-01T00:00:00Z"}},"containerID":"process://1"},
          {"name":"backing-off","restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}
        """)!;

    [Theory]
    [InlineData("running", 3)]
    [InlineData("backing-off", 3)]
    [InlineData("new", 0)]
    public void RestartCount_CarriesOn_CountingARunningContainerAsRestarted(string container, int expected)
    {
        LeftoverContainers.RestartCount(Pod, "containerStatuses", container).Should().Be(expected);
    }
}
