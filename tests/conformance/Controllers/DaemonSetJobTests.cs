using System.Diagnostics;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// The daemonset, job, ttl-after-finished and cronjob controllers against a real server whose kubelet runs pods as
/// processes, driven and observed with real kubectl: a DaemonSet follows the nodes and rolls out; Jobs complete,
/// fail at their backoff limit and expire; a CronJob starts Jobs on schedule and on demand.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class DaemonSetJobTests(ControllersServer cluster) : IClassFixture<ControllersServer>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task DaemonSet_OnePodPerEligibleNode_RollsOutAndFollowsNodes()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = Stopwatch.StartNew();
        await cluster.ApplyAsync("""
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent, namespace: default}
            spec:
              selector: {matchLabels: {app: agent}}
              template:
                metadata: {labels: {app: agent}}
                spec:
                  terminationGracePeriodSeconds: 2
                  containers: [{name: c, image: pause}]
            """, ct);
        await cluster.KubectlAsync(ct, "rollout", "status", "ds/agent", "--timeout=90s");
        TestContext.Current.SendDiagnosticMessage($"daemonset create to rolled out: {started.ElapsedMilliseconds} ms");
        var pods = await cluster.ListAsync(ct, "pods", "-l", "app=agent");
        pods.Should().ContainSingle();
        ControllersServer.At(pods[0], "spec", "nodeName").Should().Be(ControllersServer.NodeName);
        ControllersServer.At(pods[0], "metadata", "labels", "controller-revision-hash").Should().NotBeNullOrEmpty();

        await cluster.KubectlAsync(ct, "set", "env", "ds/agent", "-c", "c", "VERSION=2");
        await cluster.KubectlAsync(ct, "rollout", "status", "ds/agent", "--timeout=90s");
        var history = await cluster.KubectlAsync(ct, "rollout", "history", "ds/agent");
        history.Should().MatchRegex(@"(?m)^1\s").And.MatchRegex(@"(?m)^2\s");
        var rolled = await cluster.ListAsync(ct, "pods", "-l", "app=agent");
        rolled.Where(p => ControllersServer.At(p, "metadata", "deletionTimestamp") is null).Should().ContainSingle()
            .Which["spec"]!["containers"]![0]!["env"]![0]!["value"]!.GetValue<string>().Should().Be("2");

        await cluster.ApplyAsync("""
            apiVersion: v1
            kind: Node
            metadata: {name: fake-a}
            ---
            apiVersion: v1
            kind: Node
            metadata: {name: fake-tainted}
            spec:
              taints: [{key: dedicated, value: other, effect: NoSchedule}]
            """, ct);
        var status = await Eventually.UntilAsync(() => cluster.GetAsync(ct, "ds", "agent"), d => ControllersServer.At(d, "status", "currentNumberScheduled") == "2", Within, ct);
        ControllersServer.At(status, "status", "desiredNumberScheduled").Should().Be("2", "the NoSchedule-tainted node gets no daemon");
        var onFake = await cluster.ListAsync(ct, "pods", "-l", "app=agent", "--field-selector", "spec.nodeName=fake-a");
        onFake.Should().ContainSingle();
        onFake[0]["spec"]!["tolerations"]!.AsArray().Select(t => ControllersServer.At(t, "key")).Should().Contain(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "node.kubernetes.io/unschedulable"]);

        await cluster.KubectlAsync(ct, "delete", "node", "fake-a", "fake-tainted");
        var after = await Eventually.UntilAsync(() => cluster.GetAsync(ct, "ds", "agent"), d => ControllersServer.At(d, "status", "desiredNumberScheduled") == "1", Within, ct);
        ControllersServer.At(after, "status", "desiredNumberScheduled").Should().Be("1");
        await Eventually.TrueAsync(() => cluster.ListAsync(ct, "pods", "-l", "app=agent", "--field-selector", "spec.nodeName=fake-a").Result.Count == 0, Within, "the daemon of a deleted node is deleted", ct);
        await cluster.KubectlAsync(ct, "delete", "ds", "agent", "--wait=false");
    }

    [Fact]
    public async Task Job_FiveCompletionsTwoAtATime_CompletesForKubectl127And133()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = Stopwatch.StartNew();
        await cluster.ApplyAsync($$"""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: five, namespace: default}
            spec:
              completions: 5
              parallelism: 2
              template:
                spec:
                  restartPolicy: Never
                  nodeName: {{ControllersServer.NodeName}}
                  containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]
            """, ct);
        await cluster.KubectlVersionAsync("1.27", ct, "wait", "--for=condition=complete", "job/five", "--timeout=120s");
        TestContext.Current.SendDiagnosticMessage($"job of 5 completions, parallelism 2: complete after {started.ElapsedMilliseconds} ms");
        await cluster.KubectlVersionAsync("1.33", ct, "wait", "--for=condition=complete", "job/five", "--timeout=30s");

        var job = await cluster.GetAsync(ct, "job", "five");
        ControllersServer.At(job, "status", "succeeded").Should().Be("5");
        ControllersServer.At(job, "status", "completionTime").Should().NotBeNull();
        var uid = ControllersServer.At(job, "metadata", "uid");
        ControllersServer.At(job, "spec", "selector", "matchLabels", "batch.kubernetes.io/controller-uid").Should().Be(uid, "the API server generates the selector");
        var pods = await cluster.ListAsync(ct, "pods", "-l", "job-name=five");
        pods.Should().HaveCount(5, "a Job of 5 completions whose pods all succeed runs exactly 5 pods")
            .And.OnlyContain(p => ControllersServer.At(p, "status", "phase") == "Succeeded");
        ControllersServer.At(job, "status", "failed").Should().BeNull();
        await Eventually.TrueAsync(
            () => cluster.ListAsync(ct, "pods", "-l", "batch.kubernetes.io/job-name=five").Result.All(p => p["metadata"]?["finalizers"] is not JsonArray { Count: > 0 }),
            Within, "counted pods lose the job-tracking finalizer", ct);
        var events = await cluster.KubectlAsync(ct, "get", "events", "--field-selector", "involvedObject.name=five", "-o", "jsonpath={.items[*].reason}");
        events.Should().Contain("SuccessfulCreate").And.Contain("Completed");
    }

    /// <summary>
    /// Jobs whose short pods finish while the controller is creating others: each creates exactly its completions.
    /// A controller that plans from a pod cache older than its expectations makes an extra pod, deletes it again
    /// (counted failed), and can then wait 5 minutes for a deletion it asked for twice (a CI run stalled so).
    /// </summary>
    [Fact]
    public async Task Job_EightAtOnce_EachRunsExactlyItsCompletionsWithoutExtraPods()
    {
        var ct = TestContext.Current.CancellationToken;
        var manifests = string.Join("---\n", Enumerable.Range(0, 8).Select(i => $$"""
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: many-{{i}}
              namespace: default
              labels: {batch: many}
            spec:
              completions: 5
              parallelism: 2
              template:
                spec:
                  restartPolicy: Never
                  nodeName: {{ControllersServer.NodeName}}
                  containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]

            """));
        await cluster.ApplyAsync(manifests, ct);
        await cluster.KubectlAsync(ct, "wait", "--for=condition=complete", "job", "-l", "batch=many", "--timeout=120s");

        var jobs = await cluster.ListAsync(ct, "jobs", "-l", "batch=many");
        jobs.Should().HaveCount(8);
        var pods = await cluster.ListAsync(ct, "pods", "-l", "batch.kubernetes.io/job-name");
        foreach (var job in jobs)
        {
            var name = ControllersServer.At(job, "metadata", "name");
            ControllersServer.At(job, "status", "succeeded").Should().Be("5", name);
            ControllersServer.At(job, "status", "failed").Should().BeNull($"{name} made no pod it had to delete");
            pods.Count(p => ControllersServer.At(p, "metadata", "labels", "batch.kubernetes.io/job-name") == name).Should().Be(5, name);
        }
    }

    [Fact]
    public async Task Job_FailingPods_StopsAtBackoffLimitWithBackoffLimitExceeded()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.ApplyAsync($$"""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: failing, namespace: default}
            spec:
              backoffLimit: 1
              template:
                spec:
                  restartPolicy: Never
                  nodeName: {{ControllersServer.NodeName}}
                  containers: [{name: c, image: busybox, command: [sh, -c, "exit 3"]}]
            """, ct);
        await cluster.KubectlAsync(ct, "wait", "--for=condition=failed", "job/failing", "--timeout=120s");

        var job = await cluster.GetAsync(ct, "job", "failing");
        var failed = job!["status"]!["conditions"]!.AsArray().Single(c => ControllersServer.At(c, "type") == "Failed");
        ControllersServer.At(failed, "reason").Should().Be("BackoffLimitExceeded");
        ControllersServer.At(job, "status", "failed").Should().Be("2", "backoffLimit 1 allows one retry");
        (await cluster.ListAsync(ct, "pods", "-l", "job-name=failing")).Should().HaveCount(2);
    }

    [Fact]
    public async Task Job_NegativeParallelism_IsRefusedByValidation()
    {
        var ct = TestContext.Current.CancellationToken;
        var result = await cluster.TryApplyAsync("""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: negative, namespace: default}
            spec:
              parallelism: -1
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: c, image: busybox}]
            """, ct);

        result.ExitCode.Should().NotBe(0);
        result.Stderr.Should().Contain("spec.parallelism: Invalid value: -1: must be greater than or equal to 0");
    }

    [Fact]
    public async Task Job_TtlSecondsAfterFinished_IsDeletedAfterItCompletes()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.ApplyAsync($$"""
            apiVersion: batch/v1
            kind: Job
            metadata: {name: shortlived, namespace: default}
            spec:
              ttlSecondsAfterFinished: 2
              template:
                spec:
                  restartPolicy: Never
                  nodeName: {{ControllersServer.NodeName}}
                  containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]
            """, ct);

        var gone = await Eventually.UntilAsync(() => cluster.GetAsync(ct, "job", "shortlived"), j => j is null, Within, ct);
        gone.Should().BeNull("the ttl-after-finished controller deletes the finished Job");
    }

    [Fact]
    public async Task CronJob_EveryMinute_StartsAJobOnScheduleAndOnDemand()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.ApplyAsync($$"""
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: minutely, namespace: default}
            spec:
              schedule: "*/1 * * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      restartPolicy: Never
                      nodeName: {{ControllersServer.NodeName}}
                      containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]
            """, ct);
        await cluster.KubectlAsync(ct, "create", "job", "by-hand", "--from=cronjob/minutely");
        await cluster.KubectlAsync(ct, "wait", "--for=condition=complete", "job/by-hand", "--timeout=90s");

        var scheduled = await Eventually.UntilAsync(
            async () => (await cluster.ListAsync(ct, "jobs")).FirstOrDefault(j => j["metadata"]?["annotations"]?["batch.kubernetes.io/cronjob-scheduled-timestamp"] is not null),
            j => j is not null, TimeSpan.FromSeconds(75), ct);
        scheduled.Should().NotBeNull("a */1 schedule starts a Job within a minute");
        var stamp = DateTimeOffset.Parse(ControllersServer.At(scheduled, "metadata", "annotations", "batch.kubernetes.io/cronjob-scheduled-timestamp")!, System.Globalization.CultureInfo.InvariantCulture);
        ControllersServer.At(scheduled, "metadata", "name").Should().Be($"minutely-{stamp.ToUnixTimeSeconds() / 60}");
        var cronJob = await Eventually.UntilAsync(() => cluster.GetAsync(ct, "cronjob", "minutely"), c => ControllersServer.At(c, "status", "lastScheduleTime") is not null, Within, ct);
        ControllersServer.At(cronJob, "status", "lastScheduleTime").Should().NotBeNull();
        await cluster.KubectlAsync(ct, "delete", "cronjob", "minutely", "--wait=false");
    }

    [Fact]
    public async Task StatefulSet_OrderedPods_RollOutUpdateAndScaleDownHighestFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.ApplyAsync($$"""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: web, namespace: default}
            spec:
              replicas: 3
              serviceName: web
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  terminationGracePeriodSeconds: 1
                  nodeName: {{ControllersServer.NodeName}}
                  containers: [{name: c, image: pause}]
            """, ct);
        await cluster.KubectlAsync(ct, "rollout", "status", "sts/web", "--timeout=90s");
        var pods = await cluster.ListAsync(ct, "pods", "-l", "app=web");
        pods.Select(p => ControllersServer.At(p, "metadata", "name")).Should().BeEquivalentTo("web-0", "web-1", "web-2");
        var created = pods.OrderBy(p => ControllersServer.At(p, "metadata", "name"), StringComparer.Ordinal)
            .Select(p => DateTimeOffset.Parse(ControllersServer.At(p, "metadata", "creationTimestamp")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        created.Should().BeInAscendingOrder("OrderedReady creates web-0, then web-1, then web-2");

        await cluster.KubectlAsync(ct, "set", "env", "sts/web", "-c", "c", "VERSION=2");
        await cluster.KubectlAsync(ct, "rollout", "status", "sts/web", "--timeout=90s");
        var set = await cluster.GetAsync(ct, "sts", "web");
        ControllersServer.At(set, "status", "currentRevision").Should().Be(ControllersServer.At(set, "status", "updateRevision"));
        ControllersServer.At(set, "status", "updatedReplicas").Should().Be("3");

        await cluster.KubectlAsync(ct, "scale", "sts/web", "--replicas=1");
        var left = await Eventually.UntilAsync(
            async () => (await cluster.ListAsync(ct, "pods", "-l", "app=web")).Select(p => ControllersServer.At(p, "metadata", "name")).ToList(),
            names => names.Count == 1, Within, ct);
        left.Should().Equal("web-0");
        await cluster.KubectlAsync(ct, "delete", "sts", "web", "--wait=false");
    }
}
