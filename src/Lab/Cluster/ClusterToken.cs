using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// A lab cluster's join token, read from a server's data dir: it is in no label or file on the host, as labels are
/// readable by anyone who can list containers.
/// </summary>
public static class ClusterToken
{
    public const string InNode = "/var/lib/rancher/k3s/server/token";

    /// <summary>The token's password part (a full <c>K10…::server:password</c> token is cut to what follows the last colon).</summary>
    public static async Task<string> ReadAsync(INodeProvider provider, LabNode server, CancellationToken cancellationToken)
    {
        var result = await provider.ExecAsync(server, ["cat", InNode], cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new LabSetupException($"could not read the join token from {server.Name}:{InNode}: {result.Stderr.Trim()}");
        }

        var token = result.Stdout.Trim();
        var colon = token.LastIndexOf(':');
        return colon >= 0 ? token[(colon + 1)..] : token;
    }
}
