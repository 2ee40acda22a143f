using System.Globalization;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// The container runtime of a kubemark-style hollow node: it runs nothing. Any container can be created (a
/// container without a <c>command</c> needs no known image entrypoint; its image name stands in for the argv); a
/// started container is a <see cref="HollowContainer"/>, running until it is stopped. Nothing is written to the
/// node: no log files (a hollow container's logs are empty), no mounts, no processes, so the kubelet's own work
/// (watching pods, volumes through the API, status writes) is all that a hollow pod costs. Thread-safe.
/// </summary>
internal sealed class HollowRuntime : IContainerRuntime
{
    /// <summary>The scheme of hollow container IDs and the node's <c>containerRuntimeVersion</c>.</summary>
    public const string Scheme = "hollow";

    private long _next;

    /// <summary>The command and args as given, else the image: a hollow container's argv is only ever logged.</summary>
    public IReadOnlyList<string>? Command(JsonObject container, IReadOnlyDictionary<string, string> environment, out string? error)
    {
        error = null;
        var argv = (container["command"] as JsonArray ?? []).Concat(container["args"] as JsonArray ?? [])
            .Select(a => a?.ToString() ?? string.Empty).ToList();
        return argv.Count > 0 ? argv : [container["image"]?.ToString() ?? string.Empty];
    }

    /// <summary>Null: mounts are ignored (<see cref="Start"/>), so any is accepted and nothing is asked of the node.</summary>
    public string? MountNamespaceRefusal => null;

    /// <summary>Starts a hollow container; the log file and mounts are ignored.</summary>
    public IRunningContainer Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string? workingDir, string logFile, IReadOnlyList<VolumeMount> mounts) =>
        new HollowContainer(string.Create(CultureInfo.InvariantCulture, $"{Scheme}://{Interlocked.Increment(ref _next)}"));
}
