using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Tls;

/// <summary>
/// Reads and writes a certificate and its key as the <c>name.crt</c> / <c>name.key</c> PEM pair k3s keeps under
/// <c>server/tls</c>. Keys are written mode 0600 and certificates 0644, both through <see cref="AtomicFile"/>.
/// </summary>
internal static class PemFiles
{
    public static void Write(string directory, string name, X509Certificate2 certificate)
    {
        Directory.CreateDirectory(directory);
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"{name}: only ECDSA certificates with private keys are written", nameof(certificate));
        AtomicFile.Write(Path.Combine(directory, name + ".key"), key.ExportECPrivateKeyPem());
        AtomicFile.Write(Path.Combine(directory, name + ".crt"), certificate.ExportCertificatePem() + "\n", AtomicFile.WorldReadable);
    }

    /// <summary>Loads the pair, or returns null when either file is missing.</summary>
    /// <exception cref="CryptographicException">A file exists but is not a PEM certificate or key.</exception>
    public static X509Certificate2? TryRead(string directory, string name)
    {
        var crt = Path.Combine(directory, name + ".crt");
        var key = Path.Combine(directory, name + ".key");
        if (!File.Exists(crt) || !File.Exists(key))
        {
            return null;
        }

        using var pem = X509Certificate2.CreateFromPemFile(crt, key);

        // Round-trip through PKCS#12 so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }
}
