using System.Globalization;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// A server (and so its kubelet) restarted while a pod runs: the node is Ready again, and the pod runs exactly once
/// afterwards: the process the old kubelet left is stopped and the container started again, never duplicated.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class KubeletRestartTests(KubeletServer kubelet) : IClassFixture<KubeletServer>
{
    [Fact]
    public async Task ServerRestart_StopsTheLeftoverProcess_AndRunsThePodOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var marker = Path.Combine(kubelet.Server.Root.FullName, "starts");
        await kubelet.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: survivor, namespace: default}
            spec:
              nodeName: {{KubeletServer.NodeName}}
              terminationGracePeriodSeconds: 2
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'echo started >> {{marker}}; exec sleep 3600']}
            """, ct);
        var before = await kubelet.PodUntilAsync("survivor", p => KubeletServer.At(p, "status", "phase") == "Running", TimeSpan.FromSeconds(60), ct);
        var oldPid = Pid(before);

        await kubelet.Server.RestartAsync();

        var after = await kubelet.PodUntilAsync("survivor", p => KubeletServer.At(KubeletServer.Container(p), "state", "running") is not null && Pid(p) != oldPid, TimeSpan.FromSeconds(60), ct);
        Pid(after).Should().NotBe(oldPid, kubelet.Server.Log);
        var node = await kubelet.GetAsync(ct, "node", KubeletServer.NodeName);
        node!["status"]!["conditions"]!.AsArray().Should().Contain(c => KubeletServer.At(c, "type") == "Ready" && KubeletServer.At(c, "status") == "True");
        (await Eventually.UntilAsync(() => Task.FromResult(KubeletServer.Alive(oldPid)), alive => !alive, TimeSpan.FromSeconds(5), ct))
            .Should().BeFalse("the new kubelet stopped the process its predecessor left running");
        // The status shows the container running once its process exists, a moment before the shell writes its line.
        (await Eventually.UntilAsync(() => Task.FromResult(File.ReadAllLines(marker)), lines => lines.Length >= 2, TimeSpan.FromSeconds(10), ct))
            .Should().Equal("started", "started");
        KubeletServer.At(KubeletServer.Container(after), "restartCount").Should().Be("1", "the container was started once more");
        await kubelet.KubectlAsync(ct, "delete", "pod", "survivor", "--timeout=60s");
    }

    private static int Pid(System.Text.Json.Nodes.JsonObject? pod) =>
        int.Parse(KubeletServer.At(KubeletServer.Container(pod), "containerID")!["process://".Length..], CultureInfo.InvariantCulture);
}
