using System.Diagnostics;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// The node lifecycle controller against a real server, with a Node and Lease the test itself keeps alive as a
/// kubelet would (so the silence starts at a known moment): renewals stop → Ready Unknown with the unreachable taints
/// and pods marked not Ready; a pod tolerating unreachable for 5 s is evicted after that, one with the default 300 s
/// stays; renewals and a Ready status resume → taints removed; the Node deleted → its pods force-deleted by pod GC after its 40 s quarantine.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class NodeLifecycleTests(NodeLifecycleServer fixture) : IClassFixture<NodeLifecycleServer>
{
    private const string NodeName = "silent-1";
    private const string Unreachable = "node.kubernetes.io/unreachable";
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MonitorPeriod = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task SilentNode_GoesUnknownTaintedAndEvicts_ThenRecoversWhenRenewalsResume()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = fixture.Server;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = NodeName } }, cancellationToken: ct);
        await PostReadyAsync(client, ct);
        await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = NodeName, NamespaceProperty = "kube-node-lease" },
            Spec = new V1LeaseSpec { HolderIdentity = NodeName, LeaseDurationSeconds = 10, RenewTime = DateTime.UtcNow },
        }, "kube-node-lease", cancellationToken: ct);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("tolerant", 5), "default", cancellationToken: ct);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("patient", null), "default", cancellationToken: ct);
        var patient = await client.CoreV1.ReadNamespacedPodAsync("patient", "default", cancellationToken: ct);
        patient.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow }];
        await client.CoreV1.ReplaceNamespacedPodStatusAsync(patient, "patient", "default", cancellationToken: ct);

        // Renewed: the node stays Ready well past the grace period.
        DateTime lastRenewal;
        using (var renewing = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var renewer = RenewAsync(client, renewing.Token, ct);
            var stayedReady = Stopwatch.StartNew();
            while (stayedReady.Elapsed < Grace + MonitorPeriod)
            {
                (await ReadyAsync(client, ct)).Should().Be("True", $"the Lease is renewed every 2 s ({stayedReady.Elapsed.TotalSeconds:0.0} s in)\n{server.Log}");
                await Task.Delay(500, ct);
            }

            await renewing.CancelAsync();
            lastRenewal = await renewer;
        }

        // Measured from the renewTime last written, not from when renewals stopped (up to one 2 s period later).
        var unknown = await Eventually.UntilAsync(() => client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: ct), n => Condition(n, "Ready")?.Status == "Unknown", Grace + MonitorPeriod + TimeSpan.FromSeconds(15), ct);
        var detected = DateTime.UtcNow - lastRenewal;
        Condition(unknown, "Ready")!.Status.Should().Be("Unknown", server.Log);
        Condition(unknown, "Ready")!.Reason.Should().Be("NodeStatusUnknown");
        Condition(unknown, "Ready")!.Message.Should().Be("Kubelet stopped posting node status.");
        Condition(unknown, "MemoryPressure")!.Status.Should().Be("Unknown");
        detected.Should().BeGreaterThan(Grace).And.BeLessThan(Grace + MonitorPeriod + TimeSpan.FromSeconds(5));

        var tainted = await Eventually.UntilAsync(() => client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: ct), n => (n.Spec.Taints?.Count ?? 0) >= 2, TimeSpan.FromSeconds(10), ct);
        tainted.Spec.Taints.Select(t => $"{t.Key}:{t.Effect}").Should().BeEquivalentTo([$"{Unreachable}:NoSchedule", $"{Unreachable}:NoExecute"]);
        var timeAdded = tainted.Spec.Taints.Single(t => t.Effect == "NoExecute").TimeAdded!.Value;

        var marked = await Eventually.UntilAsync(() => client.CoreV1.ReadNamespacedPodAsync("patient", "default", cancellationToken: ct), p => p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "False") == true, TimeSpan.FromSeconds(10), ct);
        marked.Status.Conditions.Single(c => c.Type == "Ready").Status.Should().Be("False", "pods on an unreachable node are marked not Ready");

        var evicted = await Eventually.UntilAsync(() => ExistsAsync(client, "tolerant", ct), exists => !exists, TimeSpan.FromSeconds(30), ct);
        var evictedAfter = DateTime.UtcNow - timeAdded.ToUniversalTime();
        evicted.Should().BeFalse($"tolerationSeconds 5 runs out 5 s after the taint\n{server.Log}");
        evictedAfter.Should().BeGreaterThan(TimeSpan.FromSeconds(4)).And.BeLessThan(TimeSpan.FromSeconds(15));
        (await ExistsAsync(client, "patient", ct)).Should().BeTrue("the default toleration keeps a pod 300 s");
        // Events are written from the recorder's queue, so the eviction's may land just after the pod is gone.
        var events = await Eventually.UntilAsync(
            () => client.CoreV1.ListEventForAllNamespacesAsync(cancellationToken: ct),
            l => l.Items.Any(e => e.Reason == "NodeNotReady") && l.Items.Any(e => e.Reason == "TaintManagerEviction"),
            TimeSpan.FromSeconds(10),
            ct);
        events.Items.Should().Contain(e => e.Reason == "NodeNotReady" && e.InvolvedObject.Name == NodeName && e.Source.Component == "node-controller");
        events.Items.Should().Contain(e => e.Reason == "TaintManagerEviction" && e.InvolvedObject.Name == "tolerant" && e.Message == "Marking for deletion Pod default/tolerant");
        TestContext.Current.TestOutputHelper?.WriteLine($"Ready=Unknown {detected.TotalSeconds:0.0} s after the last renewal (grace 10 s, monitor period 5 s); tolerant pod gone {evictedAfter.TotalSeconds:0.0} s after the taint's timeAdded (tolerationSeconds 5, timeAdded has 1 s resolution)");

        // Back: the kubelet renews again and posts Ready.
        using (var renewing = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var renewer = RenewAsync(client, renewing.Token, ct);
            await PostReadyAsync(client, ct);
            var recovered = await Eventually.UntilAsync(() => client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: ct), n => Condition(n, "Ready")?.Status == "True" && (n.Spec.Taints?.Count ?? 0) == 0, TimeSpan.FromSeconds(15), ct);
            (recovered.Spec.Taints ?? []).Should().BeEmpty($"a Ready node loses the unreachable taints\n{server.Log}");
            await renewing.CancelAsync();
            await renewer;
        }

        // The node goes away: after upstream's 40 s quarantine, pod GC force-deletes what was bound to it.
        await client.CoreV1.DeleteNodeAsync(NodeName, cancellationToken: ct);
        var deleted = Stopwatch.StartNew();
        (await Eventually.UntilAsync(() => ExistsAsync(client, "patient", ct), exists => !exists, TimeSpan.FromSeconds(70), ct))
            .Should().BeFalse($"a pod bound to a deleted Node is garbage\n{server.Log}");
        deleted.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(35), "a missing node is quarantined 40 s first");
        TestContext.Current.TestOutputHelper?.WriteLine($"pod of the deleted node force-deleted after {deleted.Elapsed.TotalSeconds:0.0} s");
    }

    private static V1NodeCondition? Condition(V1Node node, string type) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    private static async Task<string?> ReadyAsync(Kubernetes client, CancellationToken ct) =>
        Condition(await client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: ct), "Ready")?.Status;

    private static async Task PostReadyAsync(Kubernetes client, CancellationToken ct)
    {
        var node = await client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: ct);
        var now = DateTime.UtcNow;
        node.Status ??= new V1NodeStatus();
        node.Status.Conditions =
        [
            new V1NodeCondition { Type = "MemoryPressure", Status = "False", Reason = "KubeletHasSufficientMemory", LastHeartbeatTime = now, LastTransitionTime = now },
            new V1NodeCondition { Type = "DiskPressure", Status = "False", Reason = "KubeletHasNoDiskPressure", LastHeartbeatTime = now, LastTransitionTime = now },
            new V1NodeCondition { Type = "PIDPressure", Status = "False", Reason = "KubeletHasSufficientPID", LastHeartbeatTime = now, LastTransitionTime = now },
            new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "kubelet is posting ready status", LastHeartbeatTime = now, LastTransitionTime = now },
        ];
        await client.CoreV1.ReplaceNodeStatusAsync(node, NodeName, cancellationToken: ct);
    }

    /// <summary>
    /// Renews the Lease every 2 s, as a kubelet does every 10 s of a 40 s lease, until <paramref name="stop"/>; a
    /// renewal under way when it comes is finished, so the renewTime returned is the last one the server holds.
    /// </summary>
    private static async Task<DateTime> RenewAsync(Kubernetes client, CancellationToken stop, CancellationToken ct)
    {
        var last = DateTime.MinValue;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(NodeName, "kube-node-lease", cancellationToken: ct);
                var renewed = DateTime.UtcNow;
                lease.Spec.RenewTime = renewed;
                await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, NodeName, "kube-node-lease", cancellationToken: ct);
                last = renewed;
                await Task.Delay(TimeSpan.FromSeconds(2), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // Renewals stop here.
        }

        return last;
    }

    private static async Task<bool> ExistsAsync(Kubernetes client, string pod, CancellationToken ct)
    {
        try
        {
            await client.CoreV1.ReadNamespacedPodAsync(pod, "default", cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when ((int)e.Response.StatusCode == 404)
        {
            return false;
        }
    }

    private static V1Pod Pod(string name, long? unreachableSeconds) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            NodeName = NodeName,
            Containers = [new V1Container { Name = "c", Image = "pause" }],
            Tolerations = unreachableSeconds is { } seconds
                ? [new V1Toleration { Key = Unreachable, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = seconds }]
                : null,
        },
    };
}
