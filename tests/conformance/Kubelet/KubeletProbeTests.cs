using System.Globalization;
using K3sLab.Lab.Host;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// Probes drive readiness and restarts: a readiness probe (exec, httpGet) keeps a running container unready until
/// it succeeds; a failing liveness probe (tcpSocket to a closed port) restarts the container.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class KubeletProbeTests(KubeletServer kubelet) : IClassFixture<KubeletServer>
{
    [Fact]
    public async Task ReadinessProbe_Exec_KeepsTheContainerUnready_UntilItSucceeds()
    {
        var ct = TestContext.Current.CancellationToken;
        var flag = Path.Combine(kubelet.Server.Root.FullName, "ready-flag");
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: slow-ready, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              terminationGracePeriodSeconds: 2
              containers:
              - name: app
                image: busybox
                command: [sh, -c, 'sleep 4; touch {{flag}}; sleep 3600']
                readinessProbe:
                  exec: {command: [test, -f, '{{flag}}']}
                  periodSeconds: 1
            """, ct);

        var running = await kubelet.PodUntilAsync("slow-ready", p => KubeletServer.At(p, "status", "phase") == "Running", TimeSpan.FromSeconds(60), ct);
        KubeletServer.At(running, "status", "phase").Should().Be("Running", kubelet.Server.Log);
        if (!File.Exists(flag))
        {
            KubeletServer.At(KubeletServer.Container(running), "ready").Should().Be("false", "the readiness probe has not succeeded yet");
        }

        var ready = await kubelet.PodUntilAsync("slow-ready", p => KubeletServer.At(KubeletServer.Container(p), "ready") == "true", TimeSpan.FromSeconds(30), ct);
        KubeletServer.At(KubeletServer.Container(ready), "ready").Should().Be("true", kubelet.Server.Log);
        ready!["status"]!["conditions"]!.AsArray().Single(c => KubeletServer.At(c, "type") == "Ready")!["status"]!.ToString().Should().Be("True");
        await kubelet.KubectlAsync(ct, "delete", "pod", "slow-ready", "--timeout=60s");
    }

    [Fact]
    public async Task ReadinessProbe_HttpGet_SucceedsAgainstTheContainersServer()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = Loopback.FreePort();
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              terminationGracePeriodSeconds: 2
              containers:
              - name: app
                image: python
                command: [python3, -m, http.server, '{{port}}', --bind, 0.0.0.0]
                ports: [{name: http, containerPort: {{port}}}]
                readinessProbe:
                  httpGet: {path: /, port: http}
                  periodSeconds: 1
            """, ct);

        var ready = await kubelet.PodUntilAsync("web", p => KubeletServer.At(KubeletServer.Container(p), "ready") == "true", TimeSpan.FromSeconds(60), ct);
        KubeletServer.At(KubeletServer.Container(ready), "ready").Should().Be("true", kubelet.Server.Log);
        await kubelet.KubectlAsync(ct, "delete", "pod", "web", "--timeout=60s");
    }

    [Fact]
    public async Task LivenessProbe_Failing_RestartsTheContainer()
    {
        var ct = TestContext.Current.CancellationToken;
        var closed = Loopback.FreePort();
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: unhealthy, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: [sleep, '3600']
                livenessProbe:
                  tcpSocket: {port: {{closed}}}
                  periodSeconds: 1
                  failureThreshold: 2
            """, ct);

        var restarted = await kubelet.PodUntilAsync("unhealthy", p => int.Parse(KubeletServer.At(KubeletServer.Container(p), "restartCount") ?? "0", CultureInfo.InvariantCulture) >= 1, TimeSpan.FromSeconds(60), ct);
        int.Parse(KubeletServer.At(KubeletServer.Container(restarted), "restartCount") ?? "0", CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(1, kubelet.Server.Log);
        KubeletServer.At(KubeletServer.Container(restarted), "lastState", "terminated", "exitCode").Should().Be("143", "sleep dies of the SIGTERM the kubelet sends");

        // The kubelet's events tell why, as kubectl describe pod shows them: each failed attempt (counted), the kill, and
        // both runs' Created and Started.
        var events = await kubelet.EventsUntilAsync("unhealthy", e => KubeletServer.Event(e, "Started") is { } started && int.Parse(KubeletServer.At(started, "count") ?? "0", CultureInfo.InvariantCulture) >= 2, TimeSpan.FromSeconds(30), ct);
        var unhealthy = KubeletServer.Event(events, "Unhealthy");
        KubeletServer.At(unhealthy, "type").Should().Be("Warning", kubelet.Server.Log);
        KubeletServer.At(unhealthy, "message").Should().MatchRegex($@"^Liveness probe failed: dial tcp [0-9.]+:{closed}: connect: connection refused$");
        int.Parse(KubeletServer.At(unhealthy, "count")!, CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(2, "failureThreshold 2: two failed attempts before the kill");
        foreach (var e in events)
        {
            KubeletServer.At(e, "source", "component").Should().Be("kubelet");
            KubeletServer.At(e, "source", "host").Should().Be(KubeletServer.NodeName);
            KubeletServer.At(e, "involvedObject", "fieldPath").Should().Be("spec.containers{app}");
            KubeletServer.At(e, "involvedObject", "uid").Should().Be(KubeletServer.At(restarted, "metadata", "uid"));
        }

        KubeletServer.At(KubeletServer.Event(events, "Killing"), "message").Should().Be("Container app failed liveness probe, will be restarted");
        KubeletServer.At(KubeletServer.Event(events, "Created"), "message").Should().Be("Created container: app");
        KubeletServer.At(KubeletServer.Event(events, "Started"), "message").Should().Be("Started container app");
        var described = await kubelet.KubectlAsync(ct, "describe", "pod", "unhealthy");
        described.Should().MatchRegex(@"Warning\s+Unhealthy\s+.*kubelet\s+Liveness probe failed: dial tcp").And.MatchRegex(@"Normal\s+Killing\s+.*kubelet\s+Container app failed liveness probe, will be restarted");
        await kubelet.KubectlAsync(ct, "delete", "pod", "unhealthy", "--timeout=60s");
    }
}
