using System.Net;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Bootstrap;

/// <summary>What the bootstrap step established: the certificates and the tokens to hand to joining nodes.</summary>
internal sealed record ServerBootstrapResult(ClusterTls Tls, JoinToken ServerToken, JoinToken AgentToken);

/// <summary>
/// The first thing <c>k3s server</c> does: lay out the data dir, create or reuse the cluster certificates, settle
/// the server and agent tokens (<c>server/token</c>, <c>node-token</c> and <c>agent-token</c>, with the
/// <c>node</c>/<c>server</c> secrets in <c>cred/passwd</c>), and write the admin kubeconfig. Re-running it with the
/// same settings changes nothing; a token that contradicts the one on disk is refused, as k3s refuses it.
/// </summary>
internal static class ServerBootstrap
{
    public static ServerBootstrapResult Run(ServerBootstrapOptions options, TimeProvider? time = null)
    {
        var dir = options.DataDir;
        foreach (var path in new[] { dir.ServerTls, dir.ServerCred, dir.ServerDb, dir.ServerManifests })
        {
            Directory.CreateDirectory(path);
        }

        var tls = ClusterTls.Ensure(dir.ServerTls, ServingNames(options), ServingAddresses(options), time);
        var caBundle = File.ReadAllBytes(Path.Combine(dir.ServerTls, "server-ca.crt"));
        var serverPassword = SettleServerPassword(options, caBundle);
        var agentPassword = options.AgentToken is { } agent
            ? Credential(Parse(agent, "--agent-token"), caBundle, "--agent-token")
            : StoredAgentPassword(dir.PasswdFile) ?? serverPassword;

        PasswdFile.Write(dir.PasswdFile, [
            new PasswdEntry(agentPassword, "node", "node", PasswdFile.AgentGroup),
            new PasswdEntry(serverPassword, "server", "server", PasswdFile.ServerGroup),
        ]);

        var serverToken = JoinToken.Secure(caBundle, "server", serverPassword);
        AtomicFile.Write(dir.TokenFile, serverToken + "\n");
        Link(dir.NodeTokenFile, "token");
        var agentToken = JoinToken.Secure(caBundle, "node", agentPassword);
        if (agentPassword == serverPassword)
        {
            Link(dir.AgentTokenFile, "token");
        }
        else
        {
            AtomicFile.Write(dir.AgentTokenFile, agentToken + "\n");
        }

        Kubeconfig.Write(dir.AdminKubeconfig, Kubeconfig.Render($"https://127.0.0.1:{options.HttpsListenPort}", tls.ServerCa.Certificate, tls.Admin));
        return new ServerBootstrapResult(tls, serverToken, agentToken);
    }

    /// <summary>The DNS names in the API serving certificate: the Service names, the node name, --tls-san names.</summary>
    internal static IReadOnlyList<string> ServingNames(ServerBootstrapOptions options) =>
        [.. ClusterTls.KubernetesServiceNames(options.ClusterDomain), options.NodeName, .. options.TlsSans.Where(s => !IPAddress.TryParse(s, out _))];

    /// <summary>The addresses in the API serving certificate: loopback, the Service IP, node IPs, --tls-san IPs.</summary>
    internal static IReadOnlyList<IPAddress> ServingAddresses(ServerBootstrapOptions options) =>
        [IPAddress.Loopback, IPAddress.IPv6Loopback, FirstServiceAddress(options.ServiceCidr), .. options.NodeAddresses,
            .. options.TlsSans.Select(s => IPAddress.TryParse(s, out var ip) ? ip : null).OfType<IPAddress>()];

    /// <summary>The <c>kubernetes</c> Service IP: the first address after the network address (10.43.0.1 for 10.43.0.0/16).</summary>
    internal static IPAddress FirstServiceAddress(string cidr)
    {
        var network = IPNetwork.Parse(cidr);
        var bytes = network.BaseAddress.GetAddressBytes();
        for (var i = bytes.Length - 1; i >= 0 && ++bytes[i] == 0; i--)
        {
        }

        return new IPAddress(bytes);
    }

    /// <summary>
    /// The server password: the one given (its CA hash must name this cluster's CA), else the one already in
    /// <c>server/token</c>, else a new random one. A given token that differs from the stored one is refused.
    /// </summary>
    private static string SettleServerPassword(ServerBootstrapOptions options, byte[] caBundle)
    {
        var stored = File.Exists(options.DataDir.TokenFile) ? JoinToken.Parse(File.ReadAllText(options.DataDir.TokenFile)) : null;
        if (options.Token is null)
        {
            return stored?.Password ?? JoinToken.NewPassword();
        }

        var given = Credential(Parse(options.Token, "--token"), caBundle, "--token");
        if (stored is not null && stored.Password != given)
        {
            throw new BootstrapException($"the --token given does not match the token in {options.DataDir.TokenFile}: start with the original token, or remove {options.DataDir.Root} to create a new cluster");
        }

        return given;
    }

    /// <summary>
    /// The agent password already in <c>cred/passwd</c> (a restart, or a join that brought the cluster's file), so a
    /// server started without <c>--agent-token</c> keeps the cluster's agent token instead of replacing it.
    /// </summary>
    private static string? StoredAgentPassword(string passwdFile)
    {
        try
        {
            return PasswdFile.Read(passwdFile).FirstOrDefault(e => e.User == "node")?.Password;
        }
        catch (InvalidDataException e)
        {
            throw new BootstrapException(e.Message);
        }
    }

    private static JoinToken Parse(string text, string flag)
    {
        try
        {
            return JoinToken.Parse(text);
        }
        catch (FormatException e)
        {
            throw new BootstrapException($"{flag}: {e.Message}");
        }
    }

    private static string Credential(JoinToken token, byte[] caBundle, string flag) => token.Trusts(caBundle)
        ? token.Password
        : throw new BootstrapException($"{flag}: token CA hash does not match the Cluster CA certificate hash: {token.CaHash} != {JoinToken.CaHashOf(caBundle)}");

    private static void Link(string path, string target)
    {
        if (new FileInfo(path) is { LinkTarget: { } existing } && existing == target)
        {
            return;
        }

        File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }
}

/// <summary>The server cannot start with the settings and data dir it was given; the message says what to change.</summary>
internal class BootstrapException(string message) : Exception(message);
