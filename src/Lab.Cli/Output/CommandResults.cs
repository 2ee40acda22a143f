namespace K3sLab.Cli.Output;

/// <summary>The machine-readable result of <c>k3slab down -o json</c>: the nodes removed, the network, and the kubeconfig the context left.</summary>
internal sealed record DownResult(string Cluster, List<string> Deleted, string Network, string? ContextRemovedFrom);

/// <summary>The machine-readable result of <c>k3slab node &lt;verb&gt; -o json</c>: what was done to which node.</summary>
internal sealed record NodeResult(string Cluster, string Action, string Node, string Role, string Address, string? PowerLoss = null);

/// <summary>
/// The machine-readable result of <c>k3slab kubeconfig -o json</c>: the cluster's kubeconfig file and context, with
/// the file's YAML when printed, or the file it was merged into with <c>--merge</c>.
/// </summary>
internal sealed record KubeconfigResult(string Cluster, string Context, string Path, string? Kubeconfig, string? MergedInto);

/// <summary>The machine-readable result of <c>k3slab export-logs -o json</c>: the folder and every file written.</summary>
internal sealed record ExportLogsResult(string Cluster, string Directory, List<string> Files);

/// <summary>The machine-readable result of <c>k3slab exec -o json</c>: the command's exit code and its whole output.</summary>
internal sealed record ExecResult(string Cluster, string Node, List<string> Command, long ExitCode, string Stdout, string Stderr);

/// <summary>One line of <c>k3slab logs -o json</c> (JSON Lines): the node, <c>stdout</c> or <c>stderr</c>, and the text.</summary>
internal sealed record LogLine(string Node, string Stream, string Line);
