using K3sLab.Lab.Providers;

namespace K3sLab.Lab.Datastores;

/// <summary>
/// What the second and later servers on an external datastore get from the first before they start: the cluster
/// CAs with their keys, the service-account signing key and the passwd file that join tokens are checked against,
/// the items k3s itself would keep encrypted in the datastore as bootstrap data (this runtime does not, so the lab
/// copies them, as an operator copies <c>server/tls</c>). Leaf certificates are not copied: each server issues its
/// own for its address.
/// </summary>
public static class ServerBootstrapCopy
{
    /// <summary>The k3s server folder inside a node.</summary>
    public const string ServerDir = "/var/lib/rancher/k3s/server";

    /// <summary>The copied files, relative to <see cref="ServerDir"/>.</summary>
    public static IReadOnlyList<string> Items { get; } =
    [
        "tls/server-ca.crt", "tls/server-ca.key", "tls/client-ca.crt", "tls/client-ca.key",
        "tls/request-header-ca.crt", "tls/request-header-ca.key", "tls/service.key", "cred/passwd",
    ];

    /// <summary>Reads the items from a running server (one <c>tar | base64</c> exec); fails naming what is missing.</summary>
    /// <exception cref="LabSetupException">The server does not have every item yet, or the exec failed.</exception>
    public static async Task<IReadOnlyList<NodeFile>> ReadAsync(INodeProvider provider, LabNode server, CancellationToken cancellationToken)
    {
        var result = await provider.ExecAsync(server, ["/bin/sh", "-c", $"tar -C {ServerDir} -cf - {string.Join(' ', Items)} | base64 -w0"], cancellationToken);
        if (result.ExitCode != 0 || result.Stderr.Contains("tar:", StringComparison.Ordinal))
        {
            throw new LabSetupException($"could not read the cluster CAs and keys from {server.Name} to share them with the other servers: {result.Stderr.Trim()}");
        }

        using var archive = new MemoryStream(Convert.FromBase64String(result.Stdout.Trim()));
        var files = await NodeFiles.ReadAsync(archive, ServerDir, cancellationToken);
        var missing = Items.Where(i => files.All(f => f.Path != $"{ServerDir}/{i}")).ToList();
        return missing.Count == 0 ? files : throw new LabSetupException($"{server.Name} lacks {string.Join(", ", missing)} under {ServerDir}");
    }
}
