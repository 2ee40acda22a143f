using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// The kubelet's container runtime seam, the part of CRI a <see cref="PodWorker"/> uses: turn a container spec into
/// what to run, and start it. <see cref="ProcessRuntime"/> runs containers as processes of the node;
/// <see cref="HollowRuntime"/> runs nothing, for kubemark-style hollow nodes. Implementations are thread-safe: one
/// instance serves every pod worker of a kubelet.
/// </summary>
internal interface IContainerRuntime
{
    /// <summary>
    /// The argv to run for <paramref name="container"/> (its command and args, or its image's entrypoint), or null
    /// with <paramref name="error"/> set to the message for <c>CreateContainerError</c>.
    /// </summary>
    IReadOnlyList<string>? Command(JsonObject container, IReadOnlyDictionary<string, string> environment, out string? error);

    /// <summary>
    /// Null when <see cref="Start"/> can bind-mount files of the node into a container, else why not (the node cannot
    /// make a private mount namespace): the kubelet then leaves out the mounts it adds on its own, the pod's
    /// resolv.conf, so such a container still starts, with the node's file. May block once, the first time it is asked.
    /// </summary>
    string? MountNamespaceRefusal { get; }

    /// <summary>Starts a container; its output goes to <paramref name="logFile"/> in the CRI log format.</summary>
    /// <exception cref="ContainerStartException">It could not start; the message is the runtime's, shown as <c>StartError</c>.</exception>
    IRunningContainer Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, string? workingDir, string logFile, IReadOnlyList<VolumeMount> mounts);
}
