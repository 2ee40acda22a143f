using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>
/// Client TLS toward etcd members, as etcd's Go client does it: the member's certificate must chain to the
/// <c>--datastore-cafile</c> CA (the system roots without one) and name the host of the endpoint; the
/// <c>--datastore-certfile</c>/<c>--datastore-keyfile</c> pair is presented when the member asks for a client certificate.
/// </summary>
internal sealed class EtcdClientTls : IDisposable
{
    private readonly X509Certificate2Collection? _ca;
    private readonly X509Certificate2? _client;

    private EtcdClientTls(X509Certificate2Collection? ca, X509Certificate2? client)
    {
        _ca = ca;
        _client = client;
    }

    /// <summary>Loads the files; throws <see cref="StoreException"/> naming the flag whose file is missing or unreadable.</summary>
    public static EtcdClientTls Load(EtcdClientOptions options)
    {
        if ((options.CertFile is null) != (options.KeyFile is null))
        {
            throw new StoreException(StoreError.NotSupported, "--datastore-certfile and --datastore-keyfile go together: give both or neither");
        }

        X509Certificate2Collection? ca = null;
        if (options.CaFile is { } caFile)
        {
            ca = [];
            try
            {
                ca.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new StoreException(StoreError.NotSupported, $"--datastore-cafile {caFile} cannot be read as PEM certificates: {e.Message}");
            }

            if (ca.Count == 0)
            {
                throw new StoreException(StoreError.NotSupported, $"--datastore-cafile {caFile} holds no PEM certificate");
            }
        }

        X509Certificate2? client = null;
        if (options.CertFile is { } certFile && options.KeyFile is { } keyFile)
        {
            try
            {
                using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);

                // SslStream on Linux wants a certificate whose key is not ephemeral.
                client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new StoreException(StoreError.NotSupported, $"--datastore-certfile {certFile} with --datastore-keyfile {keyFile} cannot be loaded as a PEM certificate and key: {e.Message}");
            }
        }

        return new EtcdClientTls(ca, client);
    }

    /// <summary>The TLS options for one member; <paramref name="rejected"/> is told why its certificate was refused, for the startup error.</summary>
    public SslClientAuthenticationOptions ClientOptions(Action<string> rejected) => new()
    {
        ClientCertificates = _client is null ? null : [_client],
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            var reason = Check(certificate, errors);
            if (reason is not null)
            {
                rejected(reason);
            }

            return reason is null;
        },
    };

    public void Dispose()
    {
        _client?.Dispose();
        if (_ca is not null)
        {
            foreach (var c in _ca)
            {
                c.Dispose();
            }
        }
    }

    private string? Check(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the member presented no certificate";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"the member's certificate ({certificate.Subject}) does not name the endpoint's host";
        }

        if (_ca is null)
        {
            return (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0 ? null : $"the member's certificate ({certificate.Subject}, issued by {certificate.Issuer}) is not trusted by the system roots; give its CA with --datastore-cafile";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(presented)
            ? null
            : $"the member's certificate ({certificate.Subject}, issued by {certificate.Issuer}) is not signed by the --datastore-cafile CA";
    }
}
