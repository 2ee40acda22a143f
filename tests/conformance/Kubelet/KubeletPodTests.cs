using System.Diagnostics;
using System.Globalization;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// Pods bound to the server's node run as real processes: Running with a <c>process://&lt;pid&gt;</c> container id,
/// output in the log file, downward-API env; crash loops back off; a missing program or an unknown image is a
/// waiting reason, not a broken node; deleting the pod stops the process group and removes the pod.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class KubeletPodTests(KubeletServer kubelet) : IClassFixture<KubeletServer>
{
    private static readonly TimeSpan StartWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Pod_OnThisNode_RunsAsProcess_LogsToFile_AndDeletionKillsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var created = Stopwatch.StartNew();
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: hello, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              terminationGracePeriodSeconds: 5
              containers:
              - name: app
                image: busybox
                command: [sh, -c, 'echo hello from $POD_NAME in $POD_NAMESPACE on $NODE_NAME; sleep 3600']
                env:
                - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name} } }
                - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace} } }
                - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName} } }
            """, ct);

        var pod = await kubelet.PodUntilAsync("hello", p => KubeletServer.At(p, "status", "phase") == "Running", StartWithin, ct);
        KubeletServer.At(pod, "status", "phase").Should().Be("Running", kubelet.Server.Log);
        TestContext.Current.SendDiagnosticMessage($"pod create to Running: {created.ElapsedMilliseconds} ms (kubectl polling included)");
        var container = KubeletServer.Container(pod)!;
        KubeletServer.At(container, "ready").Should().Be("true");
        KubeletServer.At(pod, "status", "podIP").Should().Be(KubeletServer.At(pod, "status", "hostIP"), "pods share the node's network namespace");
        pod!["status"]!["conditions"]!.AsArray().Where(c => KubeletServer.At(c, "type") is "Ready" or "ContainersReady" or "Initialized" or "PodScheduled")
            .Select(c => KubeletServer.At(c, "status")).Should().Equal("True", "True", "True", "True");
        var containerId = KubeletServer.At(container, "containerID")!;
        containerId.Should().StartWith("process://");
        var pid = int.Parse(containerId["process://".Length..], CultureInfo.InvariantCulture);
        Directory.Exists($"/proc/{pid}").Should().BeTrue("the container's process {0} runs", pid);
        var group = ProcessGroup(pid);
        group.Should().HaveCountGreaterThanOrEqualTo(2, "sh and its sleep lead and share one process group");

        var uid = KubeletServer.At(pod, "metadata", "uid");
        var logFile = kubelet.Server.ContainerLog("default", "hello", uid!, "app");
        var log = await Eventually.UntilAsync(() => Task.FromResult(File.Exists(logFile) ? File.ReadAllText(logFile) : string.Empty), l => l.Contains("hello", StringComparison.Ordinal), TimeSpan.FromSeconds(10), ct);
        log.Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello from hello in default on test-server\n", "the log file is in the CRI format");

        var deleted = Stopwatch.StartNew();
        await kubelet.KubectlAsync(ct, "delete", "pod", "hello", "--timeout=60s");
        TestContext.Current.SendDiagnosticMessage($"kubectl delete returned after {deleted.ElapsedMilliseconds} ms");
        deleted.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "sh and sleep die on SIGTERM, long before the 5 s grace period ends");
        var survivors = await Eventually.UntilAsync(() => Task.FromResult(group.Where(KubeletServer.Alive).ToList()), l => l.Count == 0, TimeSpan.FromSeconds(5), ct);
        survivors.Should().BeEmpty("every process of the container's group is gone (zombies waiting for init to reap them count as gone)");
        (await kubelet.GetAsync(ct, "pod", "hello")).Should().BeNull("the kubelet deletes the pod once its containers stopped");
    }

    [Fact]
    public async Task Pod_IgnoringSigterm_IsKilledAfterItsGracePeriod()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: stubborn, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              terminationGracePeriodSeconds: 3
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'trap "" TERM; while true; do sleep 1; done']}
            """, ct);
        var pod = await kubelet.PodUntilAsync("stubborn", p => KubeletServer.At(p, "status", "phase") == "Running", StartWithin, ct);
        var pid = int.Parse(KubeletServer.At(KubeletServer.Container(pod), "containerID")!["process://".Length..], CultureInfo.InvariantCulture);

        var deleted = Stopwatch.StartNew();
        await kubelet.KubectlAsync(ct, "delete", "pod", "stubborn", "--timeout=60s");
        deleted.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(2.5), "the kubelet waits the grace period before SIGKILL");
        KubeletServer.Alive(pid).Should().BeFalse();
    }

    [Fact]
    public async Task Pod_ExitingWithError_UnderRestartAlways_ReachesCrashLoopBackOffWithGrowingRestarts()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: crasher, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'echo crashing; exit 1']}
            """, ct);

        var first = await kubelet.PodUntilAsync("crasher", p => KubeletServer.At(KubeletServer.Container(p), "state", "waiting", "reason") == "CrashLoopBackOff", StartWithin, ct);
        var container = KubeletServer.Container(first);
        KubeletServer.At(container, "state", "waiting", "reason").Should().Be("CrashLoopBackOff", kubelet.Server.Log);
        KubeletServer.At(container, "lastState", "terminated", "exitCode").Should().Be("1");
        KubeletServer.At(container, "lastState", "terminated", "reason").Should().Be("Error");
        KubeletServer.At(first, "status", "phase").Should().Be("Running", "a pod whose container restarts is Running");
        KubeletServer.At(container, "restartCount").Should().Be("1", "the first restart is at once; the back-off starts at the second exit");

        // The first restart is at once, then back-off 10 s, then 20 s: the third restart comes about 30 s after the first exit.
        var later = await kubelet.PodUntilAsync("crasher", p => int.Parse(KubeletServer.At(KubeletServer.Container(p), "restartCount") ?? "0", CultureInfo.InvariantCulture) >= 2, TimeSpan.FromSeconds(75), ct);
        int.Parse(KubeletServer.At(KubeletServer.Container(later), "restartCount")!, CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(2);
        // Each restart shows the container running for the moment before it exits again, so the table is polled.
        var table = await Eventually.UntilAsync(() => kubelet.KubectlAsync(ct, "get", "pod", "crasher"), t => !t.Contains("Running", StringComparison.Ordinal), TimeSpan.FromSeconds(15), ct);
        table.Should().MatchRegex(@"crasher\s+0/1\s+(CrashLoopBackOff|Error)\s+[2-9]");

        // The kubelet's BackOff event names the container and the pod as kubelet's format.Pod does: name_namespace(uid).
        var events = await kubelet.EventsUntilAsync("crasher", e => KubeletServer.Event(e, "BackOff") is not null, TimeSpan.FromSeconds(15), ct);
        var backOff = KubeletServer.Event(events, "BackOff");
        KubeletServer.At(backOff, "type").Should().Be("Warning", kubelet.Server.Log);
        KubeletServer.At(backOff, "message").Should().Be($"Back-off restarting failed container app in pod crasher_default({KubeletServer.At(later, "metadata", "uid")})");
        KubeletServer.At(backOff, "involvedObject", "fieldPath").Should().Be("spec.containers{app}");
        await kubelet.KubectlAsync(ct, "delete", "pod", "crasher", "--timeout=60s");
    }

    [Fact]
    public async Task Pod_WithMissingProgram_ReportsRunContainerError_AndTheNodeStaysReady()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: missing-program, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              containers:
              - {name: app, image: busybox, command: [no-such-program-k3slab, --flag]}
            """, ct);

        var pod = await kubelet.PodUntilAsync("missing-program", p => KubeletServer.At(KubeletServer.Container(p), "state", "waiting", "reason") == "RunContainerError", StartWithin, ct);
        var container = KubeletServer.Container(pod);
        KubeletServer.At(container, "state", "waiting", "reason").Should().Be("RunContainerError", kubelet.Server.Log);
        KubeletServer.At(container, "state", "waiting", "message").Should().Contain("\"no-such-program-k3slab\": executable file not found in $PATH");
        KubeletServer.At(container, "lastState", "terminated", "reason").Should().Be("StartError");
        KubeletServer.At(container, "lastState", "terminated", "exitCode").Should().Be("128");
        await NodeIsReadyAsync(ct);
        await kubelet.KubectlAsync(ct, "delete", "pod", "missing-program", "--timeout=60s");
    }

    [Fact]
    public async Task Pod_WithUnknownImageAndNoCommand_ReportsCreateContainerError()
    {
        var ct = TestContext.Current.CancellationToken;
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: unknown-image, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              containers:
              - {name: app, image: registry.example/team/webapp:1.2}
            """, ct);

        var pod = await kubelet.PodUntilAsync("unknown-image", p => KubeletServer.At(KubeletServer.Container(p), "state", "waiting", "reason") == "CreateContainerError", StartWithin, ct);
        KubeletServer.At(KubeletServer.Container(pod), "state", "waiting", "reason").Should().Be("CreateContainerError", kubelet.Server.Log);
        KubeletServer.At(KubeletServer.Container(pod), "state", "waiting", "message").Should().Contain("registry.example/team/webapp:1.2").And.Contain("set the container's command");
        KubeletServer.At(pod, "status", "phase").Should().Be("Pending");
        await NodeIsReadyAsync(ct);
        await kubelet.KubectlAsync(ct, "delete", "pod", "unknown-image", "--timeout=60s");
    }

    [Fact]
    public async Task Pod_WithInitContainers_RunsThemInOrder_ThenSucceedsUnderRestartNever()
    {
        var ct = TestContext.Current.CancellationToken;
        var marker = Path.Combine(kubelet.Server.Root.FullName, "init-order");
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: initialized, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              restartPolicy: Never
              initContainers:
              - {name: first, image: busybox, command: [sh, -c, 'sleep 1; echo first >> {{marker}}']}
              - {name: second, image: busybox, command: [sh, -c, 'echo second >> {{marker}}']}
              containers:
              - name: app
                image: busybox
                workingDir: /tmp
                command: [sh, -c, 'echo "main in $(pwd)" >> {{marker}}']
            """, ct);

        var pod = await kubelet.PodUntilAsync("initialized", p => KubeletServer.At(p, "status", "phase") is "Succeeded" or "Failed", StartWithin, ct);
        KubeletServer.At(pod, "status", "phase").Should().Be("Succeeded", kubelet.Server.Log);
        pod!["status"]!["initContainerStatuses"]!.AsArray().Select(c => KubeletServer.At(c, "state", "terminated", "reason")).Should().Equal("Completed", "Completed");
        KubeletServer.At(KubeletServer.Container(pod), "state", "terminated", "exitCode").Should().Be("0");
        File.ReadAllLines(marker).Should().Equal("first", "second", "main in /tmp");
        await kubelet.KubectlAsync(ct, "delete", "pod", "initialized", "--timeout=60s");
    }

    private async Task NodeIsReadyAsync(CancellationToken ct)
    {
        var node = await kubelet.GetAsync(ct, "node", KubeletServer.NodeName);
        node!["status"]!["conditions"]!.AsArray().Should().Contain(c => KubeletServer.At(c, "type") == "Ready" && KubeletServer.At(c, "status") == "True");
    }

    /// <summary>The processes whose process group is <paramref name="leader"/>, from /proc.</summary>
    private static List<int> ProcessGroup(int leader)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2] == leader.ToString(CultureInfo.InvariantCulture))
                {
                    members.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return members;
    }
}
