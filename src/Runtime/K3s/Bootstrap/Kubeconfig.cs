using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace K3sLab.K3s.Bootstrap;

/// <summary>
/// Writes a kubeconfig in the shape k3s writes <c>k3s.yaml</c>: one cluster, user and context, all named
/// <c>--write-kubeconfig-name</c> (default <c>default</c>), with the CA and client certificate embedded.
/// The file is mode 0600 unless a mode is given (<c>--write-kubeconfig-mode</c>).
/// </summary>
internal static class Kubeconfig
{
    public static string Render(string server, X509Certificate2 serverCa, X509Certificate2 client, string name = "default")
    {
        using var key = client.GetECDsaPrivateKey() ?? throw new ArgumentException("the client certificate needs its ECDSA private key", nameof(client));
        static string B64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
        return $$"""
            apiVersion: v1
            clusters:
            - cluster:
                certificate-authority-data: {{B64(serverCa.ExportCertificatePem() + "\n")}}
                server: {{server}}
              name: {{name}}
            contexts:
            - context:
                cluster: {{name}}
                user: {{name}}
              name: {{name}}
            current-context: {{name}}
            kind: Config
            preferences: {}
            users:
            - name: {{name}}
              user:
                client-certificate-data: {{B64(client.ExportCertificatePem() + "\n")}}
                client-key-data: {{B64(key.ExportECPrivateKeyPem() + "\n")}}

            """;
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> with <paramref name="mode"/> (default 0600).</summary>
    public static void Write(string path, string content, UnixFileMode? mode = null) =>
        AtomicFile.Write(path, content, mode ?? AtomicFile.OwnerOnly);
}
