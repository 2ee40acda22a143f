using K3sLab.K3s.Controllers.NodeLifecycle;
using static K3sLab.Lab.Tests.Controllers.NodeLifecycle.NodeJson;

namespace K3sLab.Lab.Tests.Controllers.NodeLifecycle;

[Trait("Category", "Unit")]
public sealed class NodeHealthTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(40);

    [Fact]
    public void Observe_FirstSight_ProbesAtNowNotAtTheKubeletsStamp()
    {
        // The kubelet's heartbeat is an hour old by its clock: only this controller's clock counts.
        var health = NodeHealth.Observe(null, Node(heartbeat: "2026-01-01T11:00:00Z"), Lease("2026-01-01T11:00:00.000000Z"), T0);

        health.ProbeTime.Should().Be(T0);
        health.IsSilent(T0.AddSeconds(39), Grace).Should().BeFalse();
    }

    [Fact]
    public void IsSilent_GracePeriodEdges_SilentOnlyAfterTheGrace()
    {
        var health = NodeHealth.Observe(null, Node(), null, T0);

        health.IsSilent(T0 + Grace, Grace).Should().BeFalse();
        health.IsSilent(T0 + Grace + TimeSpan.FromMilliseconds(1), Grace).Should().BeTrue();
    }

    [Fact]
    public void Observe_LeaseRenewed_ResetsTheProbe()
    {
        var first = NodeHealth.Observe(null, Node(), Lease("2026-01-01T12:00:00.000000Z"), T0);
        var renewed = NodeHealth.Observe(first, Node(), Lease("2026-01-01T12:00:10.000000Z"), T0.AddSeconds(35));

        renewed.ProbeTime.Should().Be(T0.AddSeconds(35));
        renewed.IsSilent(T0.AddSeconds(60), Grace).Should().BeFalse();
    }

    [Fact]
    public void Observe_SameOrOlderLeaseAndHeartbeat_KeepsTheProbe()
    {
        var first = NodeHealth.Observe(null, Node(), Lease("2026-01-01T12:00:10.000000Z"), T0);
        var same = NodeHealth.Observe(first, Node(), Lease("2026-01-01T12:00:10.000000Z"), T0.AddSeconds(20));
        var older = NodeHealth.Observe(same, Node(), Lease("2026-01-01T12:00:05.000000Z"), T0.AddSeconds(30));

        older.ProbeTime.Should().Be(T0);
        older.IsSilent(T0.AddSeconds(41), Grace).Should().BeTrue();
    }

    [Fact]
    public void Observe_NewHeartbeatWithoutLease_ResetsTheProbe()
    {
        var first = NodeHealth.Observe(null, Node(heartbeat: "2026-01-01T12:00:00Z"), null, T0);
        var beat = NodeHealth.Observe(first, Node(heartbeat: "2026-01-01T12:00:30Z"), null, T0.AddSeconds(30));

        beat.ProbeTime.Should().Be(T0.AddSeconds(30));
    }

    [Fact]
    public void Observe_UnknownWrittenByTheController_IsNoHeartbeat()
    {
        var first = NodeHealth.Observe(null, Node(heartbeat: "2026-01-01T12:00:00Z"), null, T0);
        var afterOwnWrite = NodeHealth.Observe(first, Node(ready: "Unknown", reason: NodeConditionsUnknown.StoppedReason, heartbeat: "2026-01-01T10:00:00Z"), null, T0.AddSeconds(45));

        afterOwnWrite.ProbeTime.Should().Be(T0);
    }

    [Fact]
    public void IsSilent_NodeThatNeverReported_GetsTheStartupGrace()
    {
        var node = Node();
        node["status"] = new System.Text.Json.Nodes.JsonObject();
        var health = NodeHealth.Observe(null, node, null, T0);

        health.IsSilent(T0.AddSeconds(50), TimeSpan.FromSeconds(10)).Should().BeFalse();
        health.IsSilent(T0.AddSeconds(61), TimeSpan.FromSeconds(10)).Should().BeTrue();
    }
}
