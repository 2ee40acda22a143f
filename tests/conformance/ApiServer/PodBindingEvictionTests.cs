using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// The pod subresources a scheduler and <c>kubectl drain</c> depend on, against a real <c>k3s server</c>:
/// binding (pods/binding and the bindings resource) assigns a pod once, eviction honours a PodDisruptionBudget with
/// kube-apiserver's 429, and kubectl 1.33's drain cordons a node and evicts its pods.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class PodBindingEvictionTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    [Fact]
    public async Task Binding_AssignsOnce_AndEvictionHonoursTheDisruptionBudget()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "bind" } }, cancellationToken: ct);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("web-1"), "bind", cancellationToken: ct);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("web-2"), "bind", cancellationToken: ct);

        await client.CoreV1.CreateNamespacedPodBindingAsync(Binding("web-1", "node-a"), "web-1", "bind", cancellationToken: ct);
        var bound = await client.CoreV1.ReadNamespacedPodAsync("web-1", "bind", cancellationToken: ct);
        bound.Spec.NodeName.Should().Be("node-a");
        bound.Status.Conditions.Should().ContainSingle(c => c.Type == "PodScheduled").Which.Status.Should().Be("True");

        var again = () => client.CoreV1.CreateNamespacedPodBindingAsync(Binding("web-1", "node-b"), "web-1", "bind", cancellationToken: ct);
        var conflict = (await again.Should().ThrowAsync<HttpOperationException>()).Which.Response;
        ((int)conflict.StatusCode).Should().Be(409);
        Message(conflict).Should().Be("Operation cannot be fulfilled on pods/binding \"web-1\": pod web-1 is already assigned to node \"node-a\"");

        // The bindings resource, as older schedulers post it.
        await client.CoreV1.CreateNamespacedBindingAsync(Binding("web-2", "node-a"), "bind", cancellationToken: ct);
        (await client.CoreV1.ReadNamespacedPodAsync("web-2", "bind", cancellationToken: ct)).Spec.NodeName.Should().Be("node-a");

        // Running pods under a budget: refused while the budget is unprocessed or allows nothing, allowed once it does.
        foreach (var name in new[] { "web-1", "web-2" })
        {
            var pod = await client.CoreV1.ReadNamespacedPodAsync(name, "bind", cancellationToken: ct);
            pod.Status.Phase = "Running";
            await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, "bind", cancellationToken: ct);
        }

        var budget = await client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(new V1PodDisruptionBudget
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1PodDisruptionBudgetSpec { MinAvailable = 1, Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } } },
        }, "bind", cancellationToken: ct);
        var evict = () => client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction { Metadata = new V1ObjectMeta { Name = "web-1", NamespaceProperty = "bind" } }, "web-1", "bind", cancellationToken: ct);
        await ExpectTooManyRequests(evict, "The disruption budget web is still being processed by the server.");

        budget.Status = new V1PodDisruptionBudgetStatus { ObservedGeneration = budget.Metadata.Generation, DisruptionsAllowed = 0, CurrentHealthy = 2, DesiredHealthy = 2, ExpectedPods = 2 };
        budget = await client.PolicyV1.ReplaceNamespacedPodDisruptionBudgetStatusAsync(budget, "web", "bind", cancellationToken: ct);
        await ExpectTooManyRequests(evict, "The disruption budget web needs 2 healthy pods and has 2 currently");

        budget.Status.DisruptionsAllowed = 1;
        await client.PolicyV1.ReplaceNamespacedPodDisruptionBudgetStatusAsync(budget, "web", "bind", cancellationToken: ct);
        await evict();
        var gone = () => client.CoreV1.ReadNamespacedPodAsync("web-1", "bind", cancellationToken: ct);
        ((int)(await gone.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode).Should().Be(404);
        var charged = await client.PolicyV1.ReadNamespacedPodDisruptionBudgetAsync("web", "bind", cancellationToken: ct);
        charged.Status.DisruptionsAllowed.Should().Be(0);
        charged.Status.DisruptedPods.Should().ContainKey("web-1");
    }

    [Fact]
    public async Task KubectlDrain_CordonsTheNode_AndEvictsItsPods()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig));
        var created = await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "node-d" } }, cancellationToken: ct);
        created.Spec.Should().NotBeNull("kube-apiserver always writes a Node's spec, as {} when empty; clients read node.Spec.Taints without a null check");
        created.Status.Should().NotBeNull();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "drain" } }, cancellationToken: ct);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("lonely", node: "node-d"), "drain", cancellationToken: ct);

        var drain = await Kubectl.RunAsync("1.33", server.Kubeconfig, ct, "drain", "node-d", "--force", "--ignore-daemonsets", "--timeout=30s");

        drain.ExitCode.Should().Be(0, drain.Stderr);
        drain.Stdout.Should().Contain("node/node-d cordoned").And.Contain("pod/lonely evicted").And.Contain("node/node-d drained");
        (await client.CoreV1.ReadNodeAsync("node-d", cancellationToken: ct)).Spec.Unschedulable.Should().BeTrue();
        (await client.CoreV1.ListNamespacedPodAsync("drain", cancellationToken: ct)).Items.Should().BeEmpty();
    }

    private static async Task ExpectTooManyRequests(Func<Task> evict, string cause)
    {
        var response = (await evict.Should().ThrowAsync<HttpOperationException>()).Which.Response;
        ((int)response.StatusCode).Should().Be(429);
        var status = JsonDocument.Parse(response.Content).RootElement;
        status.GetProperty("reason").GetString().Should().Be("TooManyRequests");
        status.GetProperty("message").GetString().Should().Be("Cannot evict pod as it would violate the pod's disruption budget.");
        status.GetProperty("details").GetProperty("causes")[0].GetProperty("reason").GetString().Should().Be("DisruptionBudget");
        status.GetProperty("details").GetProperty("causes")[0].GetProperty("message").GetString().Should().Be(cause);
    }

    private static string Message(HttpResponseMessageWrapper response) => JsonDocument.Parse(response.Content).RootElement.GetProperty("message").GetString()!;

    private static V1Binding Binding(string pod, string node) => new() { Metadata = new V1ObjectMeta { Name = pod }, Target = new V1ObjectReference { Kind = "Node", Name = node } };

    private static V1Pod Pod(string name, string? node = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "app", Image = "busybox" }] },
    };
}
