using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// Issue 8's outage rule: with every server stopped for 60 s, an agent's pods keep running as the same processes,
/// and once a server is back the node is Ready again and the pod statuses say what happened meanwhile (a container
/// that finished during the outage is reported Succeeded, a running one keeps its container id and restart count,
/// and the node's Lease is renewed again).
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ServerOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);
    private readonly LoopbackCluster _cluster = new("k3slab-outage-");
    private readonly int _loadBalancerPort = FreePorts.Next();

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task AllServersStopped60s_PodsKeepTheirProcesses_AndStatusesCatchUpWhenAServerReturns()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("o1", 1);
        server.Start();
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);
        var agent = _cluster.Agent("oa1", 11, _loadBalancerPort);
        var token = server.AgentToken;
        agent.Start(server.Url, token);
        await server.WaitNodesReadyAsync(["oa1"], TimeSpan.FromSeconds(120), ct);

        var yaml = Path.Combine(_cluster.Root.FullName, "pods.yaml");
        await File.WriteAllTextAsync(yaml, """
            apiVersion: v1
            kind: Pod
            metadata: {name: steady, namespace: default}
            spec:
              nodeName: oa1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'exec sleep 3600']}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: finisher, namespace: default}
            spec:
              nodeName: oa1
              restartPolicy: Never
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'sleep 20; exit 0']}
            """, ct);
        (await server.KubectlAsync(ct, "apply", "-f", yaml)).ExitCode.Should().Be(0);
        var steady = await Eventually.UntilAsync(() => PodAsync(server, "steady", ct), p => Phase(p) == "Running" && ContainerId(p) is not null, TimeSpan.FromSeconds(60), ct);
        await Eventually.UntilAsync(() => PodAsync(server, "finisher", ct), p => Phase(p) == "Running", TimeSpan.FromSeconds(60), ct);
        var containerId = ContainerId(steady)!;
        var pid = int.Parse(containerId["process://".Length..], CultureInfo.InvariantCulture);
        Alive(pid).Should().BeTrue($"{containerId} runs before the outage");

        await server.StopAsync();
        var stoppedAt = DateTime.UtcNow;
        while (DateTime.UtcNow - stoppedAt < Outage)
        {
            Alive(pid).Should().BeTrue($"the pod's process {pid} keeps running while no server is up ({(DateTime.UtcNow - stoppedAt).TotalSeconds:0} s into the outage)\n{agent.Log}");
            agent.IsRunning.Should().BeTrue($"the agent outlives its server\n{agent.Log}");
            await Task.Delay(TimeSpan.FromSeconds(5), ct);
        }

        server.Start();
        var back = DateTime.UtcNow;
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);
        await server.WaitNodesReadyAsync(["oa1"], TimeSpan.FromSeconds(120), ct);

        var after = await PodAsync(server, "steady", ct);
        ContainerId(after).Should().Be(containerId, "the same process is reported");
        after!["status"]!["containerStatuses"]![0]!["restartCount"]!.GetValue<int>().Should().Be(0);
        Alive(pid).Should().BeTrue();
        var finished = await Eventually.UntilAsync(() => PodAsync(server, "finisher", ct), p => Phase(p) == "Succeeded", TimeSpan.FromSeconds(60), ct);
        Phase(finished).Should().Be("Succeeded", "the container that exited during the outage is reported once a server is back");

        var renewed = await Eventually.UntilAsync(() => LeaseRenewedAsync(server, "oa1", ct), t => t > back, TimeSpan.FromSeconds(60), ct);
        renewed.Should().BeAfter(back, "the node's Lease is renewed again after the outage");
    }

    private static bool Alive(int pid) => File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Contains("sleep", StringComparison.Ordinal);

    private static string? Phase(JsonObject? pod) => pod?["status"]?["phase"]?.GetValue<string>();

    private static string? ContainerId(JsonObject? pod) => pod?["status"]?["containerStatuses"]?[0]?["containerID"]?.GetValue<string>();

    private static async Task<JsonObject?> PodAsync(ServerNode server, string name, CancellationToken ct)
    {
        var result = await server.KubectlAsync(ct, "get", "pod", name, "-o", "json");
        return result.ExitCode == 0 ? JsonNode.Parse(result.Stdout) as JsonObject : null;
    }

    private static async Task<DateTime> LeaseRenewedAsync(ServerNode server, string node, CancellationToken ct)
    {
        var result = await server.KubectlAsync(ct, "get", "lease", node, "-n", "kube-node-lease", "-o", "jsonpath={.spec.renewTime}");
        return result.ExitCode == 0 && DateTime.TryParse(result.Stdout, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : DateTime.MinValue;
    }
}
