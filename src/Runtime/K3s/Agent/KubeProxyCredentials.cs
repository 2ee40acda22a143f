using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Agent;

/// <summary>
/// The service proxy's client certificate on an agent, <c>agent/client-kube-proxy.{crt,key}</c> as k3s keeps it:
/// the supervisor answers the certificate and its key in one PEM text, which is split and written here.
/// </summary>
internal static class KubeProxyCredentials
{
    public static X509Certificate2 Save(string agentDirectory, string pem)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(pem, pem);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new BootstrapException($"the server's /v1-k3s/client-kube-proxy.crt is not a certificate with its key: {e.Message}");
        }

        using (certificate)
        {
            PemFiles.Write(agentDirectory, "client-kube-proxy", certificate);
        }

        return PemFiles.TryRead(agentDirectory, "client-kube-proxy")!;
    }
}
