using System.Net;

namespace K3sLab.Lab.Providers;

/// <summary>What a node container is and how it stands, read back from Docker (labels are the only state).</summary>
/// <param name="Name">The container name, e.g. <c>k3slab-dev-server-0</c>; also the node's hostname.</param>
/// <param name="Cluster">The lab cluster it belongs to.</param>
/// <param name="Role">Server, agent or load balancer.</param>
/// <param name="Index">Its ordinal within the role.</param>
/// <param name="Address">Its static address on the cluster network.</param>
/// <param name="State">Docker's state word: created, running, paused, restarting, exited, dead.</param>
public sealed record LabNode(string Name, string Cluster, NodeRole Role, int Index, IPAddress Address, string State)
{
    public bool IsRunning => State == "running";
}

/// <summary>What to create: the node's identity and address, its image and command, and optional limits.</summary>
public sealed record NodeSpec(
    string Cluster,
    NodeRole Role,
    int Index,
    IPAddress Address,
    string Image,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string>? Environment = null,
    long? MemoryBytes = null,
    IReadOnlyDictionary<int, int>? PublishedTcpPorts = null,
    bool NetworkAdmin = true);

/// <summary>The output of a command run inside a node.</summary>
public sealed record NodeExecResult(long ExitCode, string Stdout, string Stderr);
