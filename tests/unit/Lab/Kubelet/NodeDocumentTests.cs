using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.Kubelet;
using K3sLab.K3s.Kubelet.Node;

namespace K3sLab.Lab.Tests.Kubelet;

[Trait("Category", "Unit")]
public sealed class NodeDocumentTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly NodeFacts Healthy = new(
        Cpus: 4, MemoryBytes: 8L << 30, MemoryAvailableBytes: 6L << 30, DiskBytes: 100L << 30, DiskAvailableBytes: 50L << 30,
        Processes: 300, ProcessLimit: 32768, OsImage: "Debian GNU/Linux 12 (bookworm)", KernelVersion: "6.1.0", Architecture: "amd64",
        MachineId: "m", SystemUuid: "s", BootId: "b");

    private static KubeletSettings Settings(bool controlPlane = true, params NodeTaint[] taints) => new(
        "node-a", IPAddress.Parse("10.0.0.5"), IPAddress.Parse("203.0.113.7"), new Dictionary<string, string> { ["team"] = "x" }, taints, controlPlane, new Uri("https://127.0.0.1:6443"), "/tmp/agent");

    [Fact]
    public void Labels_OnServer_HaveHostnameOsArchRolesAndFlagLabels()
    {
        var labels = NodeDocument.Labels(Settings());
        labels["kubernetes.io/hostname"]!.ToString().Should().Be("node-a");
        labels["kubernetes.io/os"]!.ToString().Should().Be("linux");
        labels["node-role.kubernetes.io/control-plane"]!.ToString().Should().Be("true");
        labels["node-role.kubernetes.io/master"]!.ToString().Should().Be("true");
        labels["team"]!.ToString().Should().Be("x");
    }

    [Fact]
    public void Labels_OnAgent_HaveNoRoleLabels()
    {
        NodeDocument.Labels(Settings(controlPlane: false)).Select(p => p.Key).Should().NotContain(k => k.StartsWith("node-role.kubernetes.io/", StringComparison.Ordinal));
    }

    [Fact]
    public void New_WithTaints_CarriesThemInSpec()
    {
        var node = NodeDocument.New(Settings(true, NodeTaint.Parse("dedicated=gpu:NoSchedule"), NodeTaint.Parse("edge:NoExecute")), new JsonObject());
        node["spec"]!["taints"]!.ToJsonString().Should().Be("""[{"key":"dedicated","effect":"NoSchedule","value":"gpu"},{"key":"edge","effect":"NoExecute"}]""");
    }

    [Fact]
    public void Status_ReportsCapacityAllocatableAddressesAndNodeInfo()
    {
        var status = NodeDocument.Status(Settings(), Healthy, null, T0);
        status["capacity"]!.ToJsonString().Should().Be("""{"cpu":"4","memory":"8388608Ki","ephemeral-storage":"104857600Ki","pods":"110"}""");
        status["allocatable"]!["memory"]!.ToString().Should().Be("8286208Ki", "the 100Mi hard eviction threshold is not allocatable");
        status["allocatable"]!["ephemeral-storage"]!.ToString().Should().Be("94371840Ki", "10% of the disk is the eviction reserve");
        status["addresses"]!.ToJsonString().Should().Be("""[{"type":"InternalIP","address":"10.0.0.5"},{"type":"ExternalIP","address":"203.0.113.7"},{"type":"Hostname","address":"node-a"}]""");
        status["nodeInfo"]!["containerRuntimeVersion"]!.ToString().Should().StartWith("process://");
        status["nodeInfo"]!["osImage"]!.ToString().Should().Be("Debian GNU/Linux 12 (bookworm)");
    }

    [Fact]
    public void Conditions_Healthy_AreReadyWithoutPressure()
    {
        var conditions = NodeConditions.Build(Healthy, null, T0);
        conditions.Select(c => $"{c!["type"]}={c["status"]}:{c["reason"]}").Should().Equal(
            "MemoryPressure=False:KubeletHasSufficientMemory",
            "DiskPressure=False:KubeletHasNoDiskPressure",
            "PIDPressure=False:KubeletHasSufficientPID",
            "Ready=True:KubeletReady");
        conditions.Should().OnlyContain(c => c!["lastHeartbeatTime"]!.ToString() == "2026-12-01T00:00:00Z");
    }

    [Fact]
    public void Conditions_UnderThresholds_ReportPressure()
    {
        var starved = Healthy with { MemoryAvailableBytes = 50L << 20, DiskAvailableBytes = 5L << 30, Processes = 32000 };
        NodeConditions.Build(starved, null, T0).Take(3).Select(c => $"{c!["status"]}:{c["reason"]}").Should().Equal(
            "True:KubeletHasInsufficientMemory", "True:KubeletHasDiskPressure", "True:KubeletHasInsufficientPID");
    }

    [Fact]
    public void Conditions_StatusUnchanged_KeepTransitionTime_ChangedMovesIt()
    {
        var before = NodeConditions.Build(Healthy, null, T0);
        var later = NodeConditions.Build(Healthy with { MemoryAvailableBytes = 1 }, before, T0.AddMinutes(1));
        later[0]!["lastTransitionTime"]!.ToString().Should().Be("2026-12-01T00:01:00Z", "MemoryPressure turned True");
        later[3]!["lastTransitionTime"]!.ToString().Should().Be("2026-12-01T00:00:00Z", "Ready stayed True");
        later[3]!["lastHeartbeatTime"]!.ToString().Should().Be("2026-12-01T00:01:00Z");
    }

    [Fact]
    public void Fingerprint_IgnoresHeartbeatsAndFreeSpace_ButNotConditionStatus()
    {
        var a = NodeDocument.Fingerprint(NodeDocument.Status(Settings(), Healthy, null, T0));
        NodeDocument.Fingerprint(NodeDocument.Status(Settings(), Healthy with { MemoryAvailableBytes = 5L << 30 }, null, T0.AddSeconds(10))).Should().Be(a);
        NodeDocument.Fingerprint(NodeDocument.Status(Settings(), Healthy with { MemoryAvailableBytes = 1 }, null, T0.AddSeconds(10))).Should().NotBe(a);
    }

    [Fact]
    public void Lease_NewAndRenewed_AreHeldByTheNodeFor40Seconds()
    {
        var lease = NodeLease.New("node-a", "uid-1", T0);
        lease["spec"]!.ToJsonString().Should().Be("""{"holderIdentity":"node-a","leaseDurationSeconds":40,"renewTime":"2026-12-01T00:00:00.000000Z"}""");
        lease["metadata"]!["ownerReferences"]![0]!["uid"]!.ToString().Should().Be("uid-1");
        NodeLease.Renewed(lease, "node-a", T0.AddSeconds(10.5))["spec"]!["renewTime"]!.ToString().Should().Be("2026-12-01T00:00:10.500000Z");
    }

    [Theory]
    [InlineData("key=value:NoSchedule", "key", "value", "NoSchedule")]
    [InlineData("key:NoExecute", "key", "", "NoExecute")]
    [InlineData("example.com/k=a:b:PreferNoSchedule", "example.com/k", "a:b", "PreferNoSchedule")]
    public void NodeTaint_Parse_ReadsTheFlagSyntax(string text, string key, string value, string effect)
    {
        NodeTaint.Parse(text).Should().Be(new NodeTaint(key, value, effect));
    }

    [Theory]
    [InlineData("key=value")]
    [InlineData("key=value:Sometimes")]
    [InlineData(":NoSchedule")]
    public void NodeTaint_Parse_RefusesBadSyntax(string text)
    {
        var parse = () => NodeTaint.Parse(text);
        parse.Should().Throw<FormatException>().WithMessage("--node-taint *: expected key=value:Effect or key:Effect*");
    }
}
