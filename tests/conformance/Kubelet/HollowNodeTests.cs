using System.Diagnostics;
using k8s;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// Issue 8's hollow nodes against a real server: one <c>k3s hollow-nodes</c> process joins 200 nodes, each through
/// the agent's bootstrap, registering, renewing its Lease and reporting Ready; a Deployment's pods are scheduled
/// onto them, run (hollow: no processes) with a pod IP, and are gone once the Deployment is deleted.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class HollowNodeTests(HollowCluster cluster) : IClassFixture<HollowCluster>
{
    private const string HollowLabel = "k3slab.io/hollow=true";
    // 200 joins took 66-74 s on a loaded 2-core host, bounded by the server's scrypt node-password hashes; the deadline leaves room for heavier load.
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan PodsWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task HollowNodes_TwoHundredInOneProcess_AreReadyWithLeasesAndRunADeployment()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Server.Kubeconfig));
        var clock = Stopwatch.StartNew();

        var nodes = await Eventually.UntilAsync(() => client.CoreV1.ListNodeAsync(labelSelector: HollowLabel, cancellationToken: ct), l => l.Items.Count(Ready) == HollowCluster.Count, ReadyWithin, ct);
        nodes.Items.Count(Ready).Should().Be(HollowCluster.Count, $"every hollow node registers and reports Ready\n{Tail(cluster.Log)}");
        TestContext.Current.SendDiagnosticMessage($"{HollowCluster.Count} hollow nodes Ready after {clock.Elapsed.TotalSeconds:0.0} s");
        nodes.Items.Should().OnlyContain(n => n.Status.Capacity["cpu"].ToString() == "4" && n.Status.Capacity["pods"].ToString() == "110", "hollow nodes report kubemark's fixed capacity");

        var leases = await Eventually.UntilAsync(() => client.CoordinationV1.ListNamespacedLeaseAsync("kube-node-lease", cancellationToken: ct), l => l.Items.Count(h => h.Metadata.Name.StartsWith("hollow-", StringComparison.Ordinal)) == HollowCluster.Count, TimeSpan.FromSeconds(20), ct);
        leases.Items.Where(l => l.Metadata.Name.StartsWith("hollow-", StringComparison.Ordinal)).Should().HaveCount(HollowCluster.Count)
            .And.OnlyContain(l => l.Spec.HolderIdentity == l.Metadata.Name && l.Spec.RenewTime > DateTime.UtcNow.AddSeconds(-60), "each node renews its own Lease");

        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("hollow-web", 20), "default", cancellationToken: ct);
        var started = Stopwatch.StartNew();
        // A pod runs before its container is ready: readiness waits for the first (passing) probe, as a kubelet's does.
        var pods = await Eventually.UntilAsync(() => client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=hollow-web", cancellationToken: ct), l => l.Items.Count(p => Running(p) && ContainersReady(p)) == 20, PodsWithin, ct);
        pods.Items.Where(Running).Should().HaveCount(20, $"the Deployment's pods run on hollow nodes\n{Tail(cluster.Log)}")
            .And.OnlyContain(p => p.Spec.NodeName.StartsWith("hollow-", StringComparison.Ordinal) && !string.IsNullOrEmpty(p.Status.PodIP))
            .And.OnlyContain(p => p.Status.ContainerStatuses.All(c => c.Ready && c.ContainerID.StartsWith("hollow://", StringComparison.Ordinal)));
        TestContext.Current.SendDiagnosticMessage($"20 pods Running {started.Elapsed.TotalSeconds:0.0} s after the Deployment was created");

        var one = pods.Items.First(Running).Metadata.Name;
        using (var log = new StreamReader(await client.CoreV1.ReadNamespacedPodLogAsync(one, "default", cancellationToken: ct)))
        {
            (await log.ReadToEndAsync(ct)).Should().BeEmpty("a hollow container writes no output");
        }

        var exec = await Kubectl.RunAsync("1.33", cluster.Server.Kubeconfig, ct, "exec", one, "--", "true");
        exec.ExitCode.Should().NotBe(0);
        exec.Stderr.Should().Contain("not supported on a hollow node", "the API server refuses rather than dialing a kubelet API that hollow nodes do not serve");

        await client.AppsV1.DeleteNamespacedDeploymentAsync("hollow-web", "default", propagationPolicy: "Foreground", cancellationToken: ct);
        var left = await Eventually.UntilAsync(() => client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=hollow-web", cancellationToken: ct), l => l.Items.Count == 0, PodsWithin, ct);
        left.Items.Select(p => $"{p.Metadata.Name} {p.Status.Phase} on {p.Spec.NodeName}").Should().BeEmpty("the hollow kubelets stop the containers and delete the pods");
    }

    private static bool Ready(V1Node node) => node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private static bool Running(V1Pod pod) => pod.Status?.Phase == "Running" && pod.Metadata.DeletionTimestamp is null;

    private static bool ContainersReady(V1Pod pod) => pod.Status?.ContainerStatuses is { Count: > 0 } statuses && statuses.All(c => c.Ready);

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(40));

    private static V1Deployment Deployment(string name, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    NodeSelector = new Dictionary<string, string> { ["k3slab.io/hollow"] = "true" },
                    Containers = [new V1Container { Name = "web", Image = "registry.example/web:1", ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Port = 8080, Path = "/healthz" }, PeriodSeconds = 1 } }],
                },
            },
        },
    };
}
