namespace K3sLab.K3s.Proxy;

/// <summary>
/// The node's <c>conntrack</c> tool (conntrack-tools), run as a child process to delete connection-tracking entries,
/// as kube-proxy runs it. A node without the tool keeps its entries until they time out.
/// </summary>
internal sealed class Conntrack(string path = "/usr/sbin/conntrack")
{
    public string Path => path;

    public bool Installed => File.Exists(path);

    /// <summary>Deletes the flows; returns how many entries went. Matching none is not an error.</summary>
    /// <exception cref="IptablesException">The tool failed for another reason (its error output is quoted).</exception>
    public async Task<int> DeleteAsync(ConntrackFlow flow, CancellationToken ct)
    {
        var run = await NodeTool.RunAsync(path, flow.DeleteArguments(), null, ct);
        var message = run.Stderr.Trim();

        // "conntrack v1.4.7 (conntrack-tools): N flow entries have been deleted." on standard error; exit code 1 when N is 0.
        const string Marker = " flow entries have been deleted";
        var at = message.IndexOf(Marker, StringComparison.Ordinal);
        if (at > 0 && int.TryParse(message[(message.LastIndexOf(' ', at - 1) + 1)..at], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var deleted))
        {
            return deleted;
        }

        return run.ExitCode == 0 ? 0 : throw new IptablesException($"conntrack {string.Join(' ', flow.DeleteArguments())} exited with {run.ExitCode}: {message}");
    }
}
