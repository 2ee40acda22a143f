using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Controllers;

/// <summary>
/// A <c>k3s server</c> with its kubelet, scheduler and controllers on (node <c>test-server</c>), shared by one test
/// class, plus the kubectl calls the workload controller tests make.
/// </summary>
public sealed class ControllersServer : IAsyncLifetime
{
    public const string NodeName = "test-server";

    public K3sServerProcess Server { get; } = K3sServerProcess.WithControllers(kubelet: true);

    public ValueTask InitializeAsync() => Server.InitializeAsync();

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    /// <summary>Runs kubectl (1.33 unless told) and fails the test with its stderr and the server log when it fails.</summary>
    public async Task<string> KubectlAsync(CancellationToken ct, params string[] args) => await KubectlVersionAsync("1.33", ct, args);

    public async Task<string> KubectlVersionAsync(string version, CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync(version, Server.Kubeconfig, ct, args);
        result.ExitCode.Should().Be(0, $"kubectl {version} {string.Join(' ', args)} failed: {result.Stderr}\n{Server.Log}");
        return result.Stdout;
    }

    /// <summary>The object (or list) as JSON, or null when kubectl cannot get it (e.g. NotFound).</summary>
    public async Task<JsonObject?> GetAsync(CancellationToken ct, params string[] args)
    {
        var result = await Kubectl.RunAsync("1.33", Server.Kubeconfig, ct, ["get", .. args, "-o", "json"]);
        return result.ExitCode == 0 ? JsonNode.Parse(result.Stdout) as JsonObject : null;
    }

    /// <summary>Applies <paramref name="yaml"/>; returns kubectl's result without failing the test.</summary>
    public async Task<KubectlResult> TryApplyAsync(string yaml, CancellationToken ct)
    {
        var file = Path.Combine(Server.Root.FullName, $"controllers-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        return await Kubectl.RunAsync("1.33", Server.Kubeconfig, ct, "apply", "-f", file);
    }

    public async Task ApplyAsync(string yaml, CancellationToken ct)
    {
        var result = await TryApplyAsync(yaml, ct);
        result.ExitCode.Should().Be(0, $"kubectl apply failed: {result.Stderr}\n{Server.Log}");
    }

    /// <summary>The items of a list, e.g. pods selected by a label.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAsync(CancellationToken ct, params string[] args) =>
        (await GetAsync(ct, args))?["items"]?.AsArray().OfType<JsonObject>().ToList() ?? [];

    public static string? At(JsonNode? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node?[key];
        }

        return node?.ToString();
    }
}
