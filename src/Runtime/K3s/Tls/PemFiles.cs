using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Tls;

/// <summary>
/// Reads and writes a certificate and its key as the <c>name.crt</c> / <c>name.key</c> PEM pair k3s keeps under
/// <c>server/tls</c>. Keys are written mode 0600; files are written to a temporary name and renamed into place, so
/// a crash never leaves half a key behind.
/// </summary>
internal static class PemFiles
{
    public static void Write(string directory, string name, X509Certificate2 certificate)
    {
        Directory.CreateDirectory(directory);
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException($"{name}: only ECDSA certificates with private keys are written", nameof(certificate));
        WriteAtomically(Path.Combine(directory, name + ".key"), key.ExportECPrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteAtomically(Path.Combine(directory, name + ".crt"), certificate.ExportCertificatePem() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
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

    private static void WriteAtomically(string path, string content, UnixFileMode mode)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
