using System.Globalization;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// The server's own kubelet registers its Node as k3s's does (Ready, the control-plane and master roles, the
/// flags' labels and taints, addresses, capacity, nodeInfo) and renews its Lease in <c>kube-node-lease</c>.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class KubeletNodeTests(KubeletServer kubelet) : IClassFixture<KubeletServer>
{
    [Fact]
    public async Task Server_RegistersItsNode_ReadyWithRolesLabelsTaintsAndCapacity()
    {
        var ct = TestContext.Current.CancellationToken;
        var node = await Eventually.UntilAsync(
            () => kubelet.GetAsync(ct, "node", KubeletServer.NodeName),
            n => n?["status"]?["conditions"]?.AsArray().Any(c => KubeletServer.At(c, "type") == "Ready" && KubeletServer.At(c, "status") == "True") == true,
            TimeSpan.FromSeconds(30),
            ct);
        node.Should().NotBeNull(kubelet.Server.Log);

        var labels = node!["metadata"]!["labels"]!.AsObject();
        labels["kubernetes.io/hostname"]!.ToString().Should().Be(KubeletServer.NodeName);
        labels["kubernetes.io/os"]!.ToString().Should().Be("linux");
        labels["kubernetes.io/arch"]!.ToString().Should().BeOneOf("amd64", "arm64");
        labels["node-role.kubernetes.io/control-plane"]!.ToString().Should().Be("true");
        labels["node-role.kubernetes.io/master"]!.ToString().Should().Be("true");
        labels["lab.k3s.io/suite"]!.ToString().Should().Be("kubelet");
        node["spec"]!["taints"]!.AsArray().Select(t => $"{KubeletServer.At(t, "key")}={KubeletServer.At(t, "value")}:{KubeletServer.At(t, "effect")}")
            .Should().Contain("lab.k3s.io/dedicated=tests:PreferNoSchedule");

        var status = node["status"]!;
        status["addresses"]!.AsArray().Select(a => KubeletServer.At(a, "type")).Should().Contain(["InternalIP", "Hostname"]);
        KubeletServer.At(status, "capacity", "pods").Should().Be("110");
        int.Parse(KubeletServer.At(status, "capacity", "cpu")!, CultureInfo.InvariantCulture).Should().BeGreaterThan(0);
        KubeletServer.At(status, "capacity", "memory").Should().EndWith("Ki");
        KubeletServer.At(status, "allocatable", "ephemeral-storage").Should().EndWith("Ki");
        status["conditions"]!.AsArray().Select(c => $"{KubeletServer.At(c, "type")}={KubeletServer.At(c, "status")}")
            .Should().BeEquivalentTo(["MemoryPressure=False", "DiskPressure=False", "PIDPressure=False", "Ready=True"]);
        KubeletServer.At(status, "nodeInfo", "kubeletVersion").Should().StartWith("v1.").And.Contain("+k3slab");
        KubeletServer.At(status, "nodeInfo", "containerRuntimeVersion").Should().StartWith("process://");
        KubeletServer.At(status, "nodeInfo", "osImage").Should().NotBeNullOrEmpty();
        KubeletServer.At(status, "nodeInfo", "kernelVersion").Should().NotBeNullOrEmpty();

        var table = await kubelet.KubectlAsync(ct, "get", "nodes");
        table.Should().MatchRegex($@"{KubeletServer.NodeName}\s+Ready\s+control-plane,master\s");
    }

    [Fact]
    public async Task DescribeNode_ShowsTheKubeletsStartingAndConditionEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        var described = await Eventually.UntilAsync(
            () => kubelet.KubectlAsync(ct, "describe", "node", KubeletServer.NodeName),
            d => d.Contains("status is now: NodeReady", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            ct);

        // kubectl finds a node's events by a reference whose uid is the node's name, where the kubelet records them.
        described.Should().MatchRegex(@"Normal\s+Starting\s+.*kubelet\s+Starting kubelet\.", kubelet.Server.Log);
        foreach (var reason in new[] { "NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeReady" })
        {
            described.Should().MatchRegex($@"Normal\s+{reason}\s+.*kubelet\s+Node {KubeletServer.NodeName} status is now: {reason}");
        }
    }

    [Fact]
    public async Task Kubelet_RenewsItsLease_Every10Seconds()
    {
        var ct = TestContext.Current.CancellationToken;
        var lease = await Eventually.UntilAsync(() => kubelet.GetAsync(ct, "lease", "-n", "kube-node-lease", KubeletServer.NodeName), l => l is not null, TimeSpan.FromSeconds(30), ct);
        lease.Should().NotBeNull(kubelet.Server.Log);
        KubeletServer.At(lease, "spec", "holderIdentity").Should().Be(KubeletServer.NodeName);
        KubeletServer.At(lease, "spec", "leaseDurationSeconds").Should().Be("40");
        lease!["metadata"]!["ownerReferences"]![0]!["kind"]!.ToString().Should().Be("Node");
        var first = KubeletServer.At(lease, "spec", "renewTime");

        var renewed = await Eventually.UntilAsync(
            () => kubelet.GetAsync(ct, "lease", "-n", "kube-node-lease", KubeletServer.NodeName),
            l => KubeletServer.At(l, "spec", "renewTime") != first,
            TimeSpan.FromSeconds(25),
            ct);
        KubeletServer.At(renewed, "spec", "renewTime").Should().NotBe(first, "the kubelet renews its lease every 10 s");
        var gap = DateTimeOffset.Parse(KubeletServer.At(renewed, "spec", "renewTime")!, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(first!, CultureInfo.InvariantCulture);
        gap.Should().BeCloseTo(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3));
    }
}
