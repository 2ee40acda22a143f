using System.Text.Json.Nodes;
using K3sLab.Lab.Host;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Kubelet;

/// <summary>
/// A <c>k3s server</c> with its kubelet on (node <c>test-server</c>, an extra label and taint, volumes written again
/// every 2 s rather than every minute, its API on a free port: test classes run two at a time, and two kubelets on
/// 10250 would answer each other's exec), shared by one test class, plus the kubectl calls the kubelet tests make.
/// Disposal kills any pod process a failed test left.
/// </summary>
public sealed class KubeletServer : IAsyncLifetime
{
    public const string NodeName = "test-server";

    public K3sServerProcess Server { get; } = K3sServerProcess.WithKubelet("--node-label", "lab.k3s.io/suite=kubelet", "--node-taint", "lab.k3s.io/dedicated=tests:PreferNoSchedule", "--kubelet-arg", "sync-frequency=2s", "--kubelet-arg", $"port={Loopback.FreePort()}");

    public ValueTask InitializeAsync() => Server.InitializeAsync();

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    /// <summary>Runs kubectl 1.33 and fails the test with its stderr and the server log when it fails.</summary>
    public async Task<string> KubectlAsync(CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync("1.33", Server.Kubeconfig, ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {string.Join(' ', args)} failed: {result.Stderr}\n{Server.Log}");
        return result.Stdout;
    }

    /// <summary>The object as JSON, or null when kubectl cannot get it (e.g. NotFound).</summary>
    public async Task<JsonObject?> GetAsync(CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync("1.33", Server.Kubeconfig, ct, ["get", .. args, "-o", "json"]);
        return result.ExitCode == 0 ? JsonNode.Parse(result.Stdout) as JsonObject : null;
    }

    public async Task ApplyAsync(string yaml, CancellationToken ct)
    {
        var file = Path.Combine(Server.Root.FullName, $"kubelet-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        await KubectlAsync(ct, "apply", "-f", file);
    }

    /// <summary>Polls the pod until <paramref name="done"/> holds or <paramref name="within"/> passes; returns the last pod seen.</summary>
    public Task<JsonObject?> PodUntilAsync(string name, Func<JsonObject, bool> done, TimeSpan within, CancellationToken ct) =>
        Eventually.UntilAsync(() => GetAsync(ct, "pod", name), p => p is not null && done(p), within, ct);

    /// <summary>
    /// Polls the events about a pod in <c>default</c> (the field selector <c>kubectl describe pod</c> uses) until
    /// <paramref name="done"/> holds or <paramref name="within"/> passes; returns the last list seen.
    /// </summary>
    public async Task<List<JsonObject>> EventsUntilAsync(string pod, Func<List<JsonObject>, bool> done, TimeSpan within, CancellationToken ct)
    {
        async Task<List<JsonObject>> ListAsync() =>
            (await GetAsync(ct, "events", "-n", "default", "--field-selector", $"involvedObject.kind=Pod,involvedObject.name={pod}"))?["items"]?.AsArray().OfType<JsonObject>().ToList() ?? [];

        return await Eventually.UntilAsync(ListAsync, done, within, ct);
    }

    /// <summary>The one event with <paramref name="reason"/>, or null.</summary>
    public static JsonObject? Event(List<JsonObject> events, string reason) => events.SingleOrDefault(e => At(e, "reason") == reason);

    /// <summary>The first container's status of a pod, or null.</summary>
    public static JsonObject? Container(JsonObject? pod) => pod?["status"]?["containerStatuses"]?[0] as JsonObject;

    /// <summary>Whether the process exists and is not a zombie (an orphan waiting for init to reap it counts as gone).</summary>
    public static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static string? At(JsonNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node?[key];
        }

        return node?.ToString();
    }
}
