namespace K3sLab.K3s.Proxy;

/// <summary>
/// The proxy's edge to the kernel: the node's <c>iptables</c>, <c>iptables-save</c> and <c>iptables-restore</c>
/// (whichever backend the node's alternatives select), run as child processes with the xtables lock waited for, as
/// other writers (the lab's fault injection) share the tables.
/// </summary>
internal sealed class Iptables(string directory = "/usr/sbin")
{
    /// <summary>Whether the node has the tools, and why not when it does not.</summary>
    public string? Missing()
    {
        foreach (var tool in new[] { "iptables", "iptables-save", "iptables-restore" })
        {
            if (!File.Exists(Path.Combine(directory, tool)))
            {
                return $"{Path.Combine(directory, tool)} is not installed";
            }
        }

        return null;
    }

    public Task<string> SaveAsync(string table, CancellationToken ct) => RunAsync("iptables-save", ["-t", table], null, ct);

    public Task RestoreAsync(string rules, CancellationToken ct) => RunAsync("iptables-restore", ["-w", "5", "--noflush"], rules, ct);

    /// <summary>Adds <paramref name="rule"/> at the top of <paramref name="chain"/> unless it is there.</summary>
    public async Task EnsureRuleAsync(string table, string chain, string[] rule, CancellationToken ct)
    {
        try
        {
            await RunAsync("iptables", ["-w", "5", "-t", table, "-C", chain, .. rule], null, ct);
        }
        catch (IptablesException)
        {
            await RunAsync("iptables", ["-w", "5", "-t", table, "-I", chain, "1", .. rule], null, ct);
        }
    }

    private async Task<string> RunAsync(string tool, string[] arguments, string? input, CancellationToken ct)
    {
        var run = await NodeTool.RunAsync(Path.Combine(directory, tool), arguments, input, ct);
        return run.ExitCode == 0
            ? run.Stdout
            : throw new IptablesException($"{tool} {string.Join(' ', arguments)} exited with {run.ExitCode}: {run.Stderr.Trim()}");
    }
}

/// <summary>An iptables tool refused or failed; the message quotes its error output.</summary>
internal sealed class IptablesException(string message) : Exception(message);
