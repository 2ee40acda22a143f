using System.Diagnostics;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// A <c>k3s server</c> running its scheduler and controllers but no kubelet, shared by the scheduler tests, with the
/// kubectl calls they make and fake Nodes (Ready, with allocatable cpu, memory and pods) created through the API.
/// </summary>
public sealed class SchedulerServer : IAsyncLifetime
{
    public K3sServerProcess Server { get; } = K3sServerProcess.WithControllers(kubelet: false);

    public ValueTask InitializeAsync() => Server.InitializeAsync();

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    /// <summary>Runs kubectl 1.33 and fails the test with its stderr and the server log when it fails.</summary>
    public async Task<string> KubectlAsync(CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync("1.33", Server.Kubeconfig, ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {result.Stderr}\n{Server.Log}");
        return result.Stdout;
    }

    public async Task<JsonObject> GetAsync(CancellationToken ct, params string[] args) =>
        (JsonObject)JsonNode.Parse(await KubectlAsync(ct, ["get", .. args, "-o", "json"]))!;

    /// <summary>Creates objects from JSON (kubectl create -f).</summary>
    public async Task CreateAsync(CancellationToken ct, params JsonObject[] objects)
    {
        var file = Path.Combine(Server.Root.FullName, $"objects-{Guid.NewGuid():N}.json");
        var list = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray([.. objects]) };
        await File.WriteAllTextAsync(file, list.ToJsonString(), ct);
        await KubectlAsync(ct, "create", "-f", file);
    }

    /// <summary>A Ready node with 4 cpu, 8Gi and 110 pods allocatable, and the given labels.</summary>
    public static JsonObject Node(string name, bool unschedulable = false, params (string Key, string Value)[] labels)
    {
        var allLabels = new JsonObject { ["kubernetes.io/hostname"] = name };
        foreach (var (key, value) in labels)
        {
            allLabels[key] = value;
        }

        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var resources = new JsonObject { ["cpu"] = "4", ["memory"] = "8Gi", ["pods"] = "110" };
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = allLabels },
            ["spec"] = new JsonObject { ["unschedulable"] = unschedulable },
            ["status"] = new JsonObject
            {
                ["capacity"] = resources.DeepClone(),
                ["allocatable"] = resources,
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready",
                    ["status"] = "True",
                    ["reason"] = "KubeletReady",
                    ["message"] = "fake node for the scheduler tests",
                    ["lastHeartbeatTime"] = now,
                    ["lastTransitionTime"] = now,
                }),
            },
        };
    }

    /// <summary>A pause pod requesting 100m cpu, placed by <paramref name="nodeSelector"/>, in <paramref name="ns"/>.</summary>
    public static JsonObject Pod(string ns, string name, (string Key, string Value) nodeSelector, string? nodeName = null, string? schedulerName = null)
    {
        var spec = new JsonObject
        {
            ["nodeSelector"] = new JsonObject { [nodeSelector.Key] = nodeSelector.Value },
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "c",
                ["image"] = "pause",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "32Mi" } },
            }),
        };
        if (nodeName is not null)
        {
            spec["nodeName"] = nodeName;
        }

        if (schedulerName is not null)
        {
            spec["schedulerName"] = schedulerName;
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = spec,
        };
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value, failing with <paramref name="what"/> and the server log at the deadline.</summary>
    public async Task<T> EventuallyAsync<T>(string what, Func<Task<T?>> probe, CancellationToken ct, int seconds = 30)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {seconds} s waiting for {what}.\n{Server.Log}");
            }

            await Task.Delay(200, ct);
        }
    }
}
