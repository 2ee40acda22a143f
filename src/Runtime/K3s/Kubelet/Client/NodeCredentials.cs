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
        var issued = clientCa.IssueClient(user, ["system:nodes"]);
        PemFiles.Write(agentDirectory, "client-kubelet", issued);
        return PemFiles.TryRead(agentDirectory, "client-kubelet")!;
    }
}
