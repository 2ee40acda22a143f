using System.Security.Cryptography;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Tls;

/// <summary>
/// The key that signs and verifies service-account tokens: <c>server/tls/service.key</c>, an RSA 2048 key in PEM,
/// as k3s keeps it. Created at first start and reused after, so tokens survive restarts; every server of a cluster
/// must share it.
/// </summary>
internal static class ServiceAccountKey
{
    public const string FileName = "service.key";

    public static RSA Ensure(string tlsDirectory)
    {
        var path = Path.Combine(tlsDirectory, FileName);
        var rsa = RSA.Create();
        if (File.Exists(path))
        {
            try
            {
                rsa.ImportFromPem(File.ReadAllText(path));
                return rsa;
            }
            catch (ArgumentException e)
            {
                rsa.Dispose();
                throw new BootstrapException($"{path} does not hold a PEM private key ({e.Message}); restore it from a backup, or delete it to invalidate every issued service-account token");
            }
        }

        rsa.KeySize = 2048;
        AtomicFile.Write(path, rsa.ExportRSAPrivateKeyPem() + "\n");
        return rsa;
    }
}
