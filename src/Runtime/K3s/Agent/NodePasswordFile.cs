using System.Security.Cryptography;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Agent;

/// <summary>
/// The node's password, which proves to the servers that a node name is still held by the same machine: k3s keeps
/// it in <c>/etc/rancher/node/password</c> (rootless: <c>&lt;data-dir&gt;/agent/etc/rancher/node/password</c>) and
/// creates it on first use as 32 hex characters, mode 0600. A password left by older releases in
/// <c>&lt;data-dir&gt;/agent/node-password.txt</c> is moved there first.
/// </summary>
/// <remarks>
/// <c>K3SLAB_NODE_PASSWORD_FILE</c> (ours, not k3s's) puts the file elsewhere, so several agents can share one
/// machine as distinct nodes in tests; in the lab every node is its own container and uses k3s's path.
/// </remarks>
internal static class NodePasswordFile
{
    public const string SystemPath = "/etc/rancher/node/password";
    public const string OverrideVariable = "K3SLAB_NODE_PASSWORD_FILE";

    public static string PathFor(DataDir dataDir) =>
        Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } custom ? custom
        : Environment.IsPrivilegedProcess ? SystemPath
        : Path.Combine(dataDir.Agent, "etc", "rancher", "node", "password");

    /// <summary>Reads the password, creating the file (or migrating the legacy one) when it is missing or empty.</summary>
    /// <exception cref="BootstrapException">The file cannot be read or written.</exception>
    public static string Ensure(string path, DataDir dataDir)
    {
        try
        {
            if (Read(path) is { } existing)
            {
                return existing;
            }

            var legacy = Path.Combine(dataDir.Agent, "node-password.txt");
            var password = Read(legacy) ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            if (!AtomicFile.TryCreate(path, password + "\n"))
            {
                // Another agent on this machine created it a moment ago: the machine has one password.
                return Read(path) ?? throw new BootstrapException($"the node password file {path} appeared empty while this agent was creating it");
            }

            if (File.Exists(legacy))
            {
                File.Delete(legacy);
            }

            return password;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BootstrapException($"cannot read or create the node password file {path}: {e.Message}");
        }
    }

    private static string? Read(string path) =>
        File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } text ? text : null;
}
