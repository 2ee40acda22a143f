using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// A <c>k3s server</c> running its controllers and its kubelet (node <c>test-server</c>), shared by the Deployment
/// tests, plus the kubectl calls they make. Pod templates name the node themselves, so no scheduler is needed.
/// </summary>
public sealed class DeploymentServer : IAsyncLifetime
{
    public const string NodeName = "test-server";

    public K3sServerProcess Server { get; } = K3sServerProcess.WithControllers(kubelet: true);

    public ValueTask InitializeAsync() => Server.InitializeAsync();

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    /// <summary>Runs kubectl (1.33 unless told) and fails the test with its stderr and the server log when it fails.</summary>
    public async Task<string> KubectlAsync(CancellationToken ct, params string[] args) => await KubectlWithAsync("1.33", ct, args);

    public async Task<string> KubectlWithAsync(string version, CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync(version, Server.Kubeconfig, ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {version} {string.Join(' ', args)} failed: {result.Stderr}\n{Server.Log}");
        return result.Stdout;
    }

    public async Task<JsonObject> GetAsync(CancellationToken ct, params string[] args) =>
        JsonNode.Parse(await KubectlAsync(ct, ["get", .. args, "-o", "json"]))!.AsObject();

    public async Task ApplyAsync(string yaml, CancellationToken ct)
    {
        var file = Path.Combine(Server.Root.FullName, $"apps-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        await KubectlAsync(ct, "apply", "-f", file);
    }

    /// <summary>
    /// A Deployment of busybox pods on this node running <paramref name="command"/>; <paramref name="minReadySeconds"/>
    /// slows a rollout down enough (pods start in milliseconds here) to watch it under way.
    /// </summary>
    public static string Deployment(string name, int replicas, string command, int maxSurge = 2, int maxUnavailable = 1, int minReadySeconds = 0) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: {{name}}, namespace: default}
        spec:
          replicas: {{replicas}}
          minReadySeconds: {{minReadySeconds}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: {{maxSurge}}, maxUnavailable: {{maxUnavailable}} } }
          selector: {matchLabels: {app: {{name}} } }
          template:
            metadata: {labels: {app: {{name}} } }
            spec:
              nodeName: {{NodeName}}
              terminationGracePeriodSeconds: 2
              containers:
              - {name: app, image: busybox, command: [sh, -c, '{{command}}']}
        """;

    public static long Long(JsonNode? node, params string[] path)
    {
        foreach (var step in path)
        {
            node = node?[step];
        }

        return node is JsonValue value && value.TryGetValue<long>(out var n) ? n : 0;
    }
}
