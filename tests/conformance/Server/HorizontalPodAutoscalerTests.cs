using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// HorizontalPodAutoscalers as a k3s user meets them, with kubectl 1.27 (which writes autoscaling/v1) and 1.33 (which
/// writes autoscaling/v2, as protobuf): the group serves v2 (preferred) and v1 from one stored object, each version
/// shows the other's fields in its own shape, <c>kubectl get hpa</c> prints kube's columns, invalid objects get
/// kube's messages. On a server with a kubelet, the controller manager's autoscaler scales a Deployment whose pods
/// burn CPU up to its maximum from metrics-server's figures, then back down when they idle (with a scale-down
/// stabilization window of 0 s set through v2's behavior), with kube's events and conditions.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class HorizontalPodAutoscalerTests : IAsyncLifetime
{
    private readonly LoopbackCluster _cluster = new("k3slab-hpa-");

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task BothVersions_OneObject_KubectlAutoscaleGetAndValidation()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 31);
        server.Start();
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);

        var group = await server.KubectlAsync(ct, "get", "--raw", "/apis/autoscaling");
        var versions = JsonNode.Parse(group.Stdout)!;
        versions["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()).Should().Equal("v2", "v1");
        versions["preferredVersion"]!["version"]!.GetValue<string>().Should().Be("v2");
        (await server.KubectlAsync(ct, "create", "deployment", "web", "--image=busybox", "--", "sleep", "3600")).ExitCode.Should().Be(0);

        foreach (var version in Kubectl.SupportedVersions)
        {
            var name = "web-" + version.Replace(".", string.Empty, StringComparison.Ordinal);
            var made = await server.KubectlAsync(version, ct, "autoscale", "deployment", "web", "--cpu-percent=60", "--min=2", "--max=5", "--name", name);
            made.ExitCode.Should().Be(0, made.Stderr);

            var v1 = JsonNode.Parse((await server.KubectlAsync(ct, "get", "--raw", $"/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/{name}")).Stdout)!;
            v1["apiVersion"]!.GetValue<string>().Should().Be("autoscaling/v1");
            v1["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>().Should().Be(60);
            v1["spec"]!["minReplicas"]!.GetValue<int>().Should().Be(2);
            v1["spec"]!["metrics"].Should().BeNull("v1 has no metrics list");

            var v2 = JsonNode.Parse((await server.KubectlAsync(ct, "get", "--raw", $"/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/{name}")).Stdout)!;
            v2["apiVersion"]!.GetValue<string>().Should().Be("autoscaling/v2");
            v2["spec"]!["metrics"]![0]!.ToJsonString().Should().Be("""{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":60}}}""");
            v2["spec"]!["targetCPUUtilizationPercentage"].Should().BeNull();
        }

        var table = await server.KubectlAsync("1.27", ct, "get", "hpa", "--no-headers");
        table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Collapse).Should().HaveCount(2).And.AllSatisfy(row =>
            row.Should().MatchRegex(@"^web-1(27|33) Deployment/web cpu: <unknown>/60% 2 5 [0-9]+ [0-9]+s$"));
        (await server.KubectlAsync(ct, "get", "all", "--no-headers")).Stdout.Should().Contain("horizontalpodautoscaler.autoscaling/web-133");

        // A metric set through v2 that v1 cannot show survives an update through v1 (kube keeps it in an annotation).
        await server.ApplyAsync("""
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: mixed, namespace: default}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
              maxReplicas: 4
              metrics:
              - type: Resource
                resource: {name: memory, target: {type: AverageValue, averageValue: 64Mi}}
              behavior:
                scaleDown: {stabilizationWindowSeconds: 30}
            """, ct);
        var patched = await server.KubectlAsync(ct, "patch", "horizontalpodautoscalers.v1.autoscaling", "mixed", "--type=merge", "-p", """{"spec":{"maxReplicas":6}}""");
        patched.ExitCode.Should().Be(0, patched.Stderr);
        var mixed = JsonNode.Parse((await server.KubectlAsync(ct, "get", "--raw", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/mixed")).Stdout)!;
        mixed["spec"]!["maxReplicas"]!.GetValue<int>().Should().Be(6);
        mixed["spec"]!["metrics"]!.AsArray().Should().ContainSingle().Which!["resource"]!["name"]!.GetValue<string>().Should().Be("memory");
        mixed["spec"]!["behavior"]!["scaleDown"]!["stabilizationWindowSeconds"]!.GetValue<int>().Should().Be(30);
        mixed["spec"]!["behavior"]!["scaleUp"]!["policies"]!.AsArray().Should().HaveCount(2, "a behavior given gets kube's defaults for the rest");
        (mixed["metadata"]!["annotations"] as JsonObject ?? []).Select(a => a.Key).Should().NotContain(k => k.StartsWith("autoscaling.alpha.kubernetes.io/", StringComparison.Ordinal));

        var manifest = Path.Combine(_cluster.Root.FullName, "bad-hpa.yaml");
        await File.WriteAllTextAsync(manifest, """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: bad, namespace: default}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
              minReplicas: 5
              maxReplicas: 3
              metrics:
              - type: Resource
                resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}
            """, ct);
        var invalid = await server.KubectlAsync(ct, "create", "-f", manifest);
        invalid.ExitCode.Should().NotBe(0);
        invalid.Stderr.Should().Contain("spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`")
            .And.Contain("spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0");
        var describe = await server.KubectlAsync(ct, "describe", "hpa", "web-133");
        describe.Stdout.Should().Contain("Reference:").And.Contain("Deployment/web").And.Contain("Min replicas:").And.Contain("Max replicas:");
    }

    [Fact]
    public async Task Controller_ScalesUpUnderCpuLoad_AndDownWhenIdle()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 41, runsKubelet: true);
        server.Start();
        await server.WaitNodesReadyAsync(["s1"], TimeSpan.FromSeconds(90), ct);

        // Each pod burns about a tenth of a core against a request of 20m, so the load is several times the 50% target.
        await server.ApplyAsync("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: busy, namespace: default}
            spec:
              replicas: 1
              selector: {matchLabels: {app: busy}}
              template:
                metadata: {labels: {app: busy}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: spin
                    image: busybox
                    command: [sh, -c, 'while :; do timeout 0.1 sh -c "while :; do :; done"; sleep 0.9; done']
                    resources: {requests: {cpu: 20m}}
            """, ct);
        var made = await server.KubectlAsync("1.33", ct, "autoscale", "deployment", "busy", "--cpu-percent=50", "--min=1", "--max=3");
        made.ExitCode.Should().Be(0, made.Stderr);

        var up = await Eventually.UntilAsync(() => HpaAsync(server, ct), h => h["status"]?["desiredReplicas"]?.GetValue<int>() == 3, TimeSpan.FromSeconds(150), ct);
        Condition(up, "ScalingLimited")["reason"]!.GetValue<string>().Should().Be("TooManyReplicas");
        up["status"]!["currentMetrics"]![0]!["resource"]!["current"]!["averageUtilization"]!.GetValue<int>().Should().BeGreaterThan(50);
        var events = await server.KubectlAsync(ct, "get", "events", "--field-selector", "involvedObject.kind=HorizontalPodAutoscaler", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}");
        events.Stdout.Should().Contain("SuccessfulRescale: New size: 3; reason: cpu resource utilization (percentage of request) above target");
        await Eventually.UntilAsync(() => server.KubectlAsync(ct, "get", "deployment", "busy", "-o", "jsonpath={.spec.replicas}"), r => r.Stdout == "3", TimeSpan.FromSeconds(10), ct);

        // Idle pods and no scale-down stabilization: back to the minimum without the default 5 minutes' wait.
        (await server.KubectlAsync(ct, "patch", "hpa", "busy", "--type=merge", "-p", """{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}""")).ExitCode.Should().Be(0);
        (await server.KubectlAsync(ct, "patch", "deployment", "busy", "--type=json", "-p", """[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["sleep","3600"]}]""")).ExitCode.Should().Be(0);
        var down = await Eventually.UntilAsync(() => HpaAsync(server, ct), h => h["status"]?["desiredReplicas"]?.GetValue<int>() == 1, TimeSpan.FromSeconds(180), ct);
        Condition(down, "AbleToScale")["status"]!.GetValue<string>().Should().Be("True");
        var table = await server.KubectlAsync(ct, "get", "hpa", "busy", "--no-headers");
        Collapse(table.Stdout).Should().MatchRegex(@"^busy Deployment/busy cpu: [0-9]+%/50% 1 3 [0-9]+ ");
    }

    private static async Task<JsonObject> HpaAsync(ServerNode server, CancellationToken ct)
    {
        var got = await server.KubectlAsync(ct, "get", "--raw", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/busy");
        return got.ExitCode == 0 ? (JsonObject)JsonNode.Parse(got.Stdout)! : [];
    }

    private static JsonObject Condition(JsonObject hpa, string type) =>
        (JsonObject)hpa["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == type)!;

    private static string Collapse(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Trim();
}
