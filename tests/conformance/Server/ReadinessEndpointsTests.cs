using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// Issue 8's readiness rule end to end: an agent's kubelet runs a pod whose readiness probe starts failing, the pod
/// turns unready, and the controller manager moves it out of its Service's ready endpoints (Endpoints'
/// <c>notReadyAddresses</c>, an EndpointSlice endpoint with <c>ready: false</c>); when the probe passes again it moves
/// back.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ReadinessEndpointsTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly LoopbackCluster _cluster = new("k3slab-readiness-");
    private readonly int _loadBalancerPort = FreePorts.Next();

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task ReadinessProbeFailing_TakesThePodOutOfItsServiceEndpoints_AndPassingPutsItBack()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("r1", 1);
        server.Start();
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);
        var agent = _cluster.Agent("ra1", 11, _loadBalancerPort);
        agent.Start(server.Url, server.AgentToken);
        await server.WaitNodesReadyAsync(["ra1"], TimeSpan.FromSeconds(120), ct);

        var flag = Path.Combine(_cluster.Root.FullName, "ready");
        File.WriteAllText(flag, "yes");
        var yaml = Path.Combine(_cluster.Root.FullName, "web.yaml");
        await File.WriteAllTextAsync(yaml, $$$"""
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec:
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: 8080}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: default, labels: {app: web}}
            spec:
              nodeName: ra1
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: [sh, -c, 'exec sleep 3600']
                ports: [{containerPort: 8080}]
                readinessProbe:
                  exec: {command: [test, -f, '{{{flag}}}']}
                  periodSeconds: 1
                  failureThreshold: 1
            """, ct);
        var applied = await server.KubectlAsync(ct, "apply", "-f", yaml);
        applied.ExitCode.Should().Be(0, applied.Stderr);

        (await WaitEndpointsAsync(server, ready: true, ct)).Should().Be((true, true), "the pod is ready, so it is a ready endpoint");

        File.Delete(flag);
        (await WaitEndpointsAsync(server, ready: false, ct)).Should().Be((false, false), $"a failing readiness probe takes the pod out of the ready endpoints\n{agent.Log}");

        File.WriteAllText(flag, "yes");
        (await WaitEndpointsAsync(server, ready: true, ct)).Should().Be((true, true), "a passing probe puts it back");
    }

    /// <summary>Waits until both the Endpoints and the EndpointSlice show the pod as <paramref name="ready"/>; returns what they last showed.</summary>
    private static async Task<(bool? Endpoints, bool? Slice)> WaitEndpointsAsync(ServerNode server, bool ready, CancellationToken ct) =>
        await Eventually.UntilAsync(
            async () => (EndpointsReady(await GetAsync(server, ct, "endpoints", "web")), SliceReady(await GetAsync(server, ct, "endpointslices", "-l", "kubernetes.io/service-name=web"))),
            seen => seen.Item1 == ready && seen.Item2 == ready,
            Within,
            ct);

    /// <summary>True when the pod is among the ready addresses, false when among the not-ready ones, null when absent.</summary>
    private static bool? EndpointsReady(JsonObject? endpoints)
    {
        var subsets = endpoints?["subsets"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
        bool Lists(string field) => subsets.Any(s => s[field]?.AsArray().Any(a => a?["targetRef"]?["name"]?.GetValue<string>() == "web") == true);
        return Lists("addresses") ? true : Lists("notReadyAddresses") ? false : null;
    }

    /// <summary>The pod's endpoint's <c>conditions.ready</c> in the Service's slices, or null when absent.</summary>
    private static bool? SliceReady(JsonObject? slices) =>
        slices?["items"]?.AsArray().OfType<JsonObject>()
            .SelectMany(s => s["endpoints"]?.AsArray().OfType<JsonObject>() ?? [])
            .Where(e => e["targetRef"]?["name"]?.GetValue<string>() == "web")
            .Select(e => (bool?)(e["conditions"]?["ready"]?.GetValue<bool>() ?? false))
            .FirstOrDefault();

    private static async Task<JsonObject?> GetAsync(ServerNode server, CancellationToken ct, params string[] args)
    {
        var result = await server.KubectlAsync(ct, ["get", .. args, "-o", "json"]);
        return result.ExitCode == 0 ? JsonNode.Parse(result.Stdout) as JsonObject : null;
    }
}
