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
    bool NetworkAdmin = true)
{
    /// <summary>
    /// Files put into the node before its command first runs (certificates, keys, start scripts). They are the node's
    /// provisioning: a re-imaged node gets them again.
    /// </summary>
    public IReadOnlyList<NodeFile> Files { get; init; } = [];

    /// <summary>The signal a clean stop sends first (Docker's default is SIGTERM); e.g. SIGINT for PostgreSQL's fast shutdown.</summary>
    public string? StopSignal { get; init; }

    /// <summary>
    /// Whether the node's data dir (<see cref="LabNaming.DataDir"/>) is a disk of its own that loses unsynced writes
    /// when the node loses power (see <see cref="PowerLoss.UnsyncedWritesDropped"/>), instead of a folder in its
    /// container, whose unsynced writes the host's page cache keeps.
    /// </summary>
    public bool LossyDisk { get; init; }
}

/// <summary>What a power loss (<see cref="INodeProvider.KillAsync"/>) did to the node.</summary>
public enum PowerLoss
{
    /// <summary>SIGKILL to every process of the node. The host's page cache survives, so writes not yet fsynced still reach the disk.</summary>
    ProcessesKilled,

    /// <summary>
    /// SIGKILL to every process, and the node's data disk shut down at the same instant without flushing: writes not yet
    /// fsynced are lost, as on a machine whose power is cut.
    /// </summary>
    UnsyncedWritesDropped,
}

/// <summary>A file to place in a node: absolute path, content, and permission bits (owned by root).</summary>
/// <param name="Path">Absolute path inside the node; parent folders are created.</param>
/// <param name="Content">The bytes.</param>
/// <param name="Mode">Permission bits, e.g. owner-only for private keys.</param>
public sealed record NodeFile(string Path, byte[] Content, UnixFileMode Mode)
{
    /// <summary>rw-r--r--.</summary>
    public const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>rw-------, for private keys and passwords.</summary>
    public const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwxr-xr-x, for scripts.</summary>
    public const UnixFileMode Executable = Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>A text file (UTF-8).</summary>
    public static NodeFile Text(string path, string content, UnixFileMode mode = Readable) => new(path, System.Text.Encoding.UTF8.GetBytes(content), mode);
}

/// <summary>How a node's container stands beyond its state word: when it last started and how often Docker restarted it.</summary>
/// <param name="StartedAt">When its main process last started.</param>
/// <param name="RestartCount">How many times the engine restarted it by its restart policy (not counting starts asked for).</param>
public sealed record NodeRuntime(DateTimeOffset StartedAt, long RestartCount);

/// <summary>The output of a command run inside a node.</summary>
public sealed record NodeExecResult(long ExitCode, string Stdout, string Stderr);
