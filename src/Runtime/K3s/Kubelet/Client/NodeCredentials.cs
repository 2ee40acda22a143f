using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Kubelet.Client;

/// <summary>
/// The kubelet's client certificate, <c>agent/client-kubelet.{crt,key}</c> as k3s names it: CN
/// <c>system:node:&lt;name&gt;</c>, O <c>system:nodes</c>, issued by the cluster's client CA, so the API server's
/// node authorizer applies to it. Reused while it names this node, chains to the CA and has 90 days left.
/// </summary>
internal static class NodeCredentials
{
    /// <summary>
    /// The kubelet API's serving certificate on a server, <c>agent/serving-kubelet.{crt,key}</c>, from the server CA
    /// as k3s issues it to agents: CN the node name, SANs the node name, <c>localhost</c>, 127.0.0.1 and the node's
    /// addresses. Reused while it covers them, chains to the CA and has 90 days left.
    /// </summary>
    public static X509Certificate2 EnsureServing(string agentDirectory, string nodeName, IReadOnlyCollection<System.Net.IPAddress> addresses, CertificateAuthority serverCa)
    {
        string[] names = [nodeName, "localhost"];
        System.Net.IPAddress[] ips = [System.Net.IPAddress.Loopback, .. addresses];
        var existing = PemFiles.TryRead(agentDirectory, "serving-kubelet");
        if (existing is not null && ClusterTls.Covers(existing, names, ips)
            && existing.NotAfter.ToUniversalTime() - DateTime.UtcNow > TimeSpan.FromDays(90) && serverCa.Verifies(existing))
        {
            return existing;
        }

        existing?.Dispose();
        using var issued = serverCa.IssueServing(nodeName, names, ips);
        PemFiles.Write(agentDirectory, "serving-kubelet", issued);
        return PemFiles.TryRead(agentDirectory, "serving-kubelet")!;
    }

    public static X509Certificate2 Ensure(string agentDirectory, string nodeName, CertificateAuthority clientCa)
    {
        var user = $"system:node:{nodeName}";
        var existing = PemFiles.TryRead(agentDirectory, "client-kubelet");
        if (existing is not null && existing.GetNameInfo(X509NameType.SimpleName, forIssuer: false) == user
            && existing.NotAfter.ToUniversalTime() - DateTime.UtcNow > TimeSpan.FromDays(90) && clientCa.Verifies(existing))
        {
            return existing;
        }

        existing?.Dispose();
        using var issued = clientCa.IssueClient(user, ["system:nodes"]);
        PemFiles.Write(agentDirectory, "client-kubelet", issued);
        return PemFiles.TryRead(agentDirectory, "client-kubelet")!;
    }
}
