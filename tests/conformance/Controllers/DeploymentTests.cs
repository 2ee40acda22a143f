using System.Diagnostics;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// The replicaset and deployment controllers judged by kubectl: Deployments of real pod processes become Available
/// and <c>kubectl rollout status</c> (oldest and newest client) succeeds; a template change rolls within maxSurge and
/// maxUnavailable; <c>rollout undo</c>, <c>restart</c>, <c>history</c> and <c>scale</c> work as upstream; a
/// ReplicaSet replaces a deleted pod; an invalid Deployment is refused without hurting the controllers.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class DeploymentTests(DeploymentServer cluster) : IClassFixture<DeploymentServer>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Deployment_TenPauseReplicas_BecomesAvailableAndRolloutStatusSucceeds()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = Stopwatch.StartNew();
        await cluster.ApplyAsync($$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: pause, namespace: default}
            spec:
              replicas: 10
              selector: {matchLabels: {app: pause} }
              template:
                metadata: {labels: {app: pause} }
                spec:
                  nodeName: {{DeploymentServer.NodeName}}
                  containers: [{name: app, image: pause}]
            """, ct);

        foreach (var version in Kubectl.SupportedVersions)
        {
            var output = await cluster.KubectlWithAsync(version, ct, "rollout", "status", "deployment/pause", "--timeout=120s");
            output.Should().Contain("successfully rolled out");
        }

        TestContext.Current.SendDiagnosticMessage($"10 pause replicas Available in {started.ElapsedMilliseconds} ms");
        var deployment = await cluster.GetAsync(ct, "deployment", "pause");
        DeploymentServer.Long(deployment, "status", "availableReplicas").Should().Be(10);
        DeploymentServer.Long(deployment, "status", "updatedReplicas").Should().Be(10);
        Condition(deployment, "Available").Should().Be("True/MinimumReplicasAvailable");
        Condition(deployment, "Progressing").Should().Be("True/NewReplicaSetAvailable");
        var table = await cluster.KubectlAsync(ct, "get", "deployment", "pause", "--no-headers");
        table.Should().MatchRegex(@"^pause\s+10/10\s+10\s+10\s+", "READY, UP-TO-DATE and AVAILABLE come from the status");

        var scaled = Stopwatch.StartNew();
        await cluster.KubectlAsync(ct, "scale", "deployment/pause", "--replicas=30");
        await cluster.KubectlAsync(ct, "rollout", "status", "deployment/pause", "--timeout=120s");
        TestContext.Current.SendDiagnosticMessage($"scaled 10 -> 30 pause replicas Available in {scaled.ElapsedMilliseconds} ms");
        (await cluster.KubectlAsync(ct, "get", "deployment", "pause", "--no-headers")).Should().MatchRegex(@"^pause\s+30/30\s+30\s+30\s+");
        var events = await cluster.KubectlAsync(ct, "get", "events", "--field-selector", "involvedObject.kind=Deployment,involvedObject.name=pause", "-o", "jsonpath={.items[*].message}");
        events.Should().MatchRegex(@"Scaled up replica set pause-\w+ from 0 to 10").And.MatchRegex(@"Scaled up replica set pause-\w+ from 10 to 30");

        await cluster.KubectlAsync(ct, "delete", "deployment", "pause");
    }

    [Fact]
    public async Task Deployment_TemplateChange_RollsWithinBoundsAndUndoRestartHistoryWork()
    {
        var ct = TestContext.Current.CancellationToken;
        const int replicas = 10;
        const int maxSurge = 2;
        const int maxUnavailable = 1;
        await cluster.ApplyAsync(DeploymentServer.Deployment("roll", replicas, "sleep 3600", maxSurge, maxUnavailable, minReadySeconds: 2), ct);
        await cluster.KubectlAsync(ct, "rollout", "status", "deployment/roll", "--timeout=120s");

        await cluster.ApplyAsync(DeploymentServer.Deployment("roll", replicas, "sleep 7200", maxSurge, maxUnavailable, minReadySeconds: 2), ct);
        var rolled = Stopwatch.StartNew();
        var samples = 0;
        while (true)
        {
            var sets = await cluster.GetAsync(ct, "replicasets", "-l", "app=roll");
            var pods = await cluster.GetAsync(ct, "pods", "-l", "app=roll");
            var deployment = await cluster.GetAsync(ct, "deployment", "roll");
            samples++;
            var desired = sets["items"]!.AsArray().Sum(s => DeploymentServer.Long(s, "spec", "replicas"));
            var available = sets["items"]!.AsArray().Sum(s => DeploymentServer.Long(s, "status", "availableReplicas"));
            var live = pods["items"]!.AsArray().Count(p => p?["metadata"]?["deletionTimestamp"] is null);
            desired.Should().BeLessThanOrEqualTo(replicas + maxSurge, "the ReplicaSets never ask for more than replicas + maxSurge");
            live.Should().BeLessThanOrEqualTo(replicas + maxSurge, "no more than replicas + maxSurge pods exist besides terminating ones");
            available.Should().BeGreaterThanOrEqualTo(replicas - maxUnavailable, "at most maxUnavailable pods are unavailable");
            if (DeploymentServer.Long(deployment, "status", "updatedReplicas") == replicas && DeploymentServer.Long(deployment, "status", "availableReplicas") == replicas
                && DeploymentServer.Long(deployment, "status", "replicas") == replicas && DeploymentServer.Long(deployment, "status", "observedGeneration") >= DeploymentServer.Long(deployment, "metadata", "generation"))
            {
                break;
            }

            rolled.Elapsed.Should().BeLessThan(Within, "the rollout finishes");
        }

        TestContext.Current.SendDiagnosticMessage($"rolling update of {replicas} replicas finished in {rolled.ElapsedMilliseconds} ms ({samples} samples)");
        samples.Should().BeGreaterThan(1, "the rollout was sampled while under way");
        await cluster.KubectlAsync(ct, "rollout", "status", "deployment/roll", "--timeout=120s");
        (await Sets(ct, "roll")).Should().HaveCount(2);

        await cluster.KubectlAsync(ct, "rollout", "undo", "deployment/roll");
        await cluster.KubectlWithAsync("1.27", ct, "rollout", "status", "deployment/roll", "--timeout=120s");
        var undone = await cluster.GetAsync(ct, "deployment", "roll");
        undone["spec"]!["template"]!["spec"]!["containers"]![0]!["command"]![2]!.GetValue<string>().Should().Be("sleep 3600");
        (await Sets(ct, "roll")).Should().HaveCount(2, "undo goes back to the first ReplicaSet instead of making a third");
        undone["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.GetValue<string>().Should().Be("3");

        await cluster.KubectlAsync(ct, "rollout", "restart", "deployment/roll");
        await cluster.KubectlAsync(ct, "rollout", "status", "deployment/roll", "--timeout=120s");
        (await Sets(ct, "roll")).Should().HaveCount(3, "a restart changes the template, so a new ReplicaSet rolls out");
        var history = await cluster.KubectlAsync(ct, "rollout", "history", "deployment/roll");
        history.Should().MatchRegex(@"(?m)^2\s").And.MatchRegex(@"(?m)^3\s").And.MatchRegex(@"(?m)^4\s");

        await cluster.KubectlAsync(ct, "delete", "deployment", "roll");
    }

    [Fact]
    public async Task ReplicaSet_PodDeleted_IsReplaced()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.ApplyAsync($$"""
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata: {name: heal, namespace: default}
            spec:
              replicas: 3
              selector: {matchLabels: {app: heal} }
              template:
                metadata: {labels: {app: heal} }
                spec:
                  nodeName: {{DeploymentServer.NodeName}}
                  containers: [{name: app, image: pause}]
            """, ct);
        var ready = await Eventually.UntilAsync(() => cluster.GetAsync(ct, "replicaset", "heal"), s => DeploymentServer.Long(s, "status", "readyReplicas") == 3, Within, ct);
        DeploymentServer.Long(ready, "status", "readyReplicas").Should().Be(3, cluster.Server.Log);
        var pods = await cluster.GetAsync(ct, "pods", "-l", "app=heal");
        var victim = pods["items"]![0]!["metadata"]!["name"]!.GetValue<string>();

        await cluster.KubectlAsync(ct, "delete", "pod", victim, "--wait=false");

        var healed = await Eventually.UntilAsync(
            () => cluster.GetAsync(ct, "pods", "-l", "app=heal"),
            p => Running(p).Count == 3 && !Running(p).Contains(victim),
            Within,
            ct);
        Running(healed).Should().HaveCount(3).And.NotContain(victim);
        var events = await cluster.KubectlAsync(ct, "get", "events", "--field-selector", "involvedObject.kind=ReplicaSet,involvedObject.name=heal", "-o", "jsonpath={.items[*].reason}");
        events.Should().Contain("SuccessfulCreate");

        await cluster.KubectlAsync(ct, "scale", "replicaset/heal", "--replicas=1");
        var scaledDown = await Eventually.UntilAsync(() => cluster.GetAsync(ct, "pods", "-l", "app=heal"), p => Running(p).Count == 1, Within, ct);
        Running(scaledDown).Should().ContainSingle();
        await cluster.KubectlAsync(ct, "delete", "replicaset", "heal");
    }

    [Fact]
    public async Task Deployment_SelectorNotMatchingTemplate_IsRefusedAndControllersCarryOn()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(cluster.Server.Root.FullName, "bad-deployment.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: bad, namespace: default}
            spec:
              replicas: 1
              selector: {matchLabels: {app: one} }
              template:
                metadata: {labels: {app: two} }
                spec: {containers: [{name: app, image: pause}]}
            """, ct);

        var refused = await Kubectl.RunAsync("1.33", cluster.Server.Kubeconfig, ct, "apply", "-f", file);

        refused.ExitCode.Should().NotBe(0);
        refused.Stderr.Should().Contain("`selector` does not match template `labels`");
        await cluster.ApplyAsync(DeploymentServer.Deployment("after-bad", 1, "sleep 3600"), ct);
        await cluster.KubectlAsync(ct, "rollout", "status", "deployment/after-bad", "--timeout=120s");
        cluster.Server.Log.Should().NotContain("threw; retrying", "no controller reconcile crashed");
        await cluster.KubectlAsync(ct, "delete", "deployment", "after-bad");
    }

    private async Task<List<string>> Sets(CancellationToken ct, string app) =>
        [.. (await cluster.GetAsync(ct, "replicasets", "-l", $"app={app}"))["items"]!.AsArray().Select(s => s!["metadata"]!["name"]!.GetValue<string>())];

    private static List<string> Running(JsonObject pods) =>
        [.. pods["items"]!.AsArray()
            .Where(p => p?["metadata"]?["deletionTimestamp"] is null && p?["status"]?["phase"]?.GetValue<string>() == "Running")
            .Select(p => p!["metadata"]!["name"]!.GetValue<string>())];

    private static string Condition(JsonObject deployment, string type) =>
        deployment["status"]?["conditions"]?.AsArray().Where(c => c?["type"]?.GetValue<string>() == type)
            .Select(c => $"{c!["status"]}/{c["reason"]}").FirstOrDefault() ?? "missing";
}
