using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// The scheduler against a real <c>k3s server</c> (scheduler and controllers on, no kubelet) with fake Ready nodes:
/// pods spread over the nodes they may use and never land on a cordoned one; a pod no node matches stays Pending with
/// <c>PodScheduled=False</c> and a <c>FailedScheduling</c> event in kube-scheduler's words, and is bound as soon as
/// a matching node appears; pods that name a node or another scheduler are left alone. Each test uses its own
/// namespace and node label, and finishes well inside the node monitor grace period of the fake nodes.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class SchedulerTests(SchedulerServer cluster) : IClassFixture<SchedulerServer>
{
    [Fact]
    public async Task Pods_SpreadOverTheirNodes_AndNoneLandsOnACordonedNode()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.KubectlAsync(ct, "create", "namespace", "spread");
        await cluster.CreateAsync(ct,
            SchedulerServer.Node("spread-1", false, ("suite", "spread")),
            SchedulerServer.Node("spread-2", false, ("suite", "spread")),
            SchedulerServer.Node("spread-3", true, ("suite", "spread")));
        await cluster.CreateAsync(ct, [.. Enumerable.Range(0, 6).Select(i => SchedulerServer.Pod("spread", $"web-{i}", ("suite", "spread")))]);

        var pods = await cluster.EventuallyAsync("the six pods to be bound", async () =>
        {
            var list = await cluster.GetAsync(ct, "pods", "-n", "spread");
            var nodes = list.Arr("items").Items().Select(p => p.Item.Obj("spec").Str("nodeName")).ToList();
            return nodes.Count == 6 && nodes.All(n => n is not null) ? nodes : null;
        }, ct);

        pods.GroupBy(n => n).ToDictionary(g => g.Key!, g => g.Count()).Should().BeEquivalentTo(new Dictionary<string, int> { ["spread-1"] = 3, ["spread-2"] = 3 });
        var pod = await cluster.GetAsync(ct, "pod", "web-0", "-n", "spread");
        pod.Obj("status").Arr("conditions").Items().Should().Contain(c => c.Item.Str("type") == "PodScheduled" && c.Item.Str("status") == "True");
        var events = await cluster.EventuallyAsync("the Scheduled event of web-0", async () =>
        {
            var list = await cluster.GetAsync(ct, "events", "-n", "spread", "--field-selector", "involvedObject.name=web-0,reason=Scheduled");
            return list.Arr("items") is { Count: > 0 } found ? found : null;
        }, ct);
        events[0].Str("message").Should().Be($"Successfully assigned spread/web-0 to {pod.Obj("spec").Str("nodeName")}");
        events[0].Obj("source").Str("component").Should().Be("default-scheduler");
    }

    [Fact]
    public async Task UnmatchedPod_StaysPendingWithTheReason_ThenBindsWhenAMatchingNodeAppears()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.KubectlAsync(ct, "create", "namespace", "late");
        await cluster.CreateAsync(ct, SchedulerServer.Node("late-other", false, ("suite", "elsewhere")));
        await cluster.CreateAsync(ct, SchedulerServer.Pod("late", "waiting", ("suite", "late")));

        var condition = await cluster.EventuallyAsync("PodScheduled=False on the waiting pod", async () =>
        {
            var pod = await cluster.GetAsync(ct, "pod", "waiting", "-n", "late");
            return pod.Obj("status").Arr("conditions").Items().Select(c => c.Item as JsonObject)
                .FirstOrDefault(c => c.Str("type") == "PodScheduled" && c.Str("status") == "False");
        }, ct);
        condition.Str("reason").Should().Be("Unschedulable");
        var message = condition.Str("message")!;
        message.Should().MatchRegex(@"^0/\d+ nodes are available: .*\d+ node\(s\) didn't match Pod's node affinity/selector.* preemption: 0/\d+ nodes are available: \d+ Preemption is not helpful for scheduling\.$");

        var describe = await cluster.EventuallyAsync("the FailedScheduling event in kubectl describe", async () =>
        {
            var text = await cluster.KubectlAsync(ct, "describe", "pod", "waiting", "-n", "late");
            return text.Contains("FailedScheduling", StringComparison.Ordinal) ? text : null;
        }, ct);
        describe.Should().Contain("Warning  FailedScheduling").And.Contain("default-scheduler").And.Contain("didn't match Pod's node affinity/selector");
        (await cluster.GetAsync(ct, "pod", "waiting", "-n", "late")).Obj("spec").Str("nodeName").Should().BeNull();

        await cluster.CreateAsync(ct, SchedulerServer.Node("late-1", false, ("suite", "late")));

        var node = await cluster.EventuallyAsync("the waiting pod to be bound to the new node", async () =>
            (await cluster.GetAsync(ct, "pod", "waiting", "-n", "late")).Obj("spec").Str("nodeName"), ct, seconds: 20);
        node.Should().Be("late-1");
    }

    [Fact]
    public async Task PodsNamingANodeOrAnotherScheduler_AreLeftAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.KubectlAsync(ct, "create", "namespace", "alone");
        await cluster.CreateAsync(ct, SchedulerServer.Node("alone-1", false, ("suite", "alone")));
        await cluster.CreateAsync(ct,
            SchedulerServer.Pod("alone", "pinned", ("suite", "alone"), nodeName: "no-such-node"),
            SchedulerServer.Pod("alone", "foreign", ("suite", "alone"), schedulerName: "other-scheduler"));
        await cluster.CreateAsync(ct, SchedulerServer.Pod("alone", "marker", ("suite", "alone")));

        // The marker was created after the other two: once it is bound the scheduler has seen them all.
        await cluster.EventuallyAsync("the marker pod to be bound", async () =>
            (await cluster.GetAsync(ct, "pod", "marker", "-n", "alone")).Obj("spec").Str("nodeName"), ct);

        (await cluster.GetAsync(ct, "pod", "pinned", "-n", "alone")).Obj("spec").Str("nodeName").Should().Be("no-such-node");
        var foreign = await cluster.GetAsync(ct, "pod", "foreign", "-n", "alone");
        foreign.Obj("spec").Str("nodeName").Should().BeNull();
        foreign.Obj("status").Arr("conditions").Items().Should().NotContain(c => c.Item.Str("type") == "PodScheduled");
        var events = await cluster.GetAsync(ct, "events", "-n", "alone");
        events.Arr("items").Items().Select(e => e.Item.Obj("involvedObject").Str("name")).Should().NotContain(["pinned", "foreign"]);
    }
}
