using System.Diagnostics;

namespace K3sLab.K3s.Proxy;

/// <summary>One run of a node tool (iptables, conntrack) as a child process: its exit code and both outputs.</summary>
internal readonly record struct NodeToolResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the node's networking tools for the proxy, feeding standard input when there is some.</summary>
internal static class NodeTool
{
    /// <exception cref="IptablesException">The tool did not start.</exception>
    public static async Task<NodeToolResult> RunAsync(string path, IEnumerable<string> arguments, string? input, CancellationToken ct)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardInput = input is not null, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new IptablesException($"{Path.GetFileName(path)} did not start");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), ct);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new NodeToolResult(process.ExitCode, await stdout, await stderr);
    }
}
