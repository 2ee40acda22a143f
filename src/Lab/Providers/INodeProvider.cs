namespace K3sLab.Lab.Providers;

/// <summary>
/// Where lab nodes live. Docker is the implementation today; a process provider for hosts without Docker can
/// implement the same contract. Providers keep no state of their own: everything is read back from the engine.
/// All operations are idempotent where that makes sense (removing what is gone succeeds).
/// </summary>
public interface INodeProvider
{
    /// <summary>Creates the cluster network if missing and returns its address plan.</summary>
    Task<NetworkPlan> EnsureNetworkAsync(string cluster, CancellationToken cancellationToken);

    /// <summary>Creates and starts a node; fails if a node of that name exists.</summary>
    Task<LabNode> CreateNodeAsync(NodeSpec spec, CancellationToken cancellationToken);

    /// <summary>The nodes of one cluster, or of all clusters when <paramref name="cluster"/> is null.</summary>
    Task<IReadOnlyList<LabNode>> ListNodesAsync(string? cluster, CancellationToken cancellationToken);

    Task StartAsync(LabNode node, CancellationToken cancellationToken);

    /// <summary>Stops with SIGTERM, then SIGKILL after <paramref name="grace"/>.</summary>
    Task StopAsync(LabNode node, TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>
    /// SIGKILL to the whole node: no shutdown path runs (a power cut, as far as processes can tell). A node with a
    /// lossy disk also loses what it had not fsynced; the result says which was done. The node stays down until started.
    /// </summary>
    Task<PowerLoss> KillAsync(LabNode node, CancellationToken cancellationToken);

    Task PauseAsync(LabNode node, CancellationToken cancellationToken);

    Task UnpauseAsync(LabNode node, CancellationToken cancellationToken);

    Task RemoveAsync(LabNode node, CancellationToken cancellationToken);

    /// <summary>
    /// Re-images a node: removes it with everything it stored and creates it afresh from the same image, command,
    /// environment, name, address and provisioned files, as a machine reinstalled under its old hostname and
    /// provisioned again (new node password, no data).
    /// </summary>
    Task<LabNode> ReimageAsync(LabNode node, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a stopped node by one made from <paramref name="spec"/> under the same name (e.g. another address and
    /// command), carrying the folders <paramref name="keep"/> over from its disk and starting it: the disk moved to a
    /// machine with another address. Folders the node does not have are skipped. If the new node cannot be created,
    /// the old one is gone with its disk: the exception says so.
    /// </summary>
    Task<LabNode> RecreateAsync(LabNode node, NodeSpec spec, IReadOnlyList<string> keep, CancellationToken cancellationToken);

    /// <summary>
    /// What the node was made from, read back from the engine: image, command, environment, address, published
    /// ports, limits and provisioned files. Creating a node from it (with a new name or command) makes its twin.
    /// </summary>
    Task<NodeSpec> SpecOfAsync(LabNode node, CancellationToken cancellationToken);

    /// <summary>When the node's container last started and how many times the engine restarted it on its own.</summary>
    Task<NodeRuntime> InspectAsync(LabNode node, CancellationToken cancellationToken);

    /// <summary>The node's published TCP ports: its own port to the host port on 127.0.0.1.</summary>
    Task<IReadOnlyDictionary<int, int>> PublishedPortsAsync(LabNode node, CancellationToken cancellationToken);

    Task<NodeExecResult> ExecAsync(LabNode node, IReadOnlyList<string> command, CancellationToken cancellationToken);

    /// <summary>The node's main process output (stdout and stderr interleaved as Docker kept them).</summary>
    Task<string> LogsAsync(LabNode node, CancellationToken cancellationToken);

    /// <summary>
    /// Copies the node's main process output to <paramref name="stdout"/> and <paramref name="stderr"/>: the last
    /// <paramref name="tail"/> lines (all when null), then, when <paramref name="follow"/>, new output until the node
    /// stops or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    Task StreamLogsAsync(LabNode node, int? tail, bool follow, Stream stdout, Stream stderr, CancellationToken cancellationToken);

    /// <summary>Writes a tar archive of <paramref name="path"/> inside the node to <paramref name="destination"/>; false when the path does not exist.</summary>
    Task<bool> CopyOutAsync(LabNode node, string path, Stream destination, CancellationToken cancellationToken);

    /// <summary>The engine's whole description of the node as JSON (for Docker, what <c>docker inspect</c> prints).</summary>
    Task<string> DescribeAsync(LabNode node, CancellationToken cancellationToken);

    /// <summary>Removes every node of the cluster and its network.</summary>
    Task DeleteClusterAsync(string cluster, CancellationToken cancellationToken);
}
