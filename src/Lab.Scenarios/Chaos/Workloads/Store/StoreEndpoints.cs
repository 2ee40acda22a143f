using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using K3sLab.Lab.Providers;
using K3sLab.Scenarios.Chaos.Running;

namespace K3sLab.Scenarios.Chaos.Workloads.Store;

/// <summary>
/// gRPC channels to every server's embedded datastore member on its lab address, port 2379, with mutual TLS: the
/// server's own etcd client certificate and CA (<c>server/tls/etcd</c>), read out of the first server's node. HTTP/2
/// keep-alive pings every second find a dead or cut-off connection within about three seconds, so a client moves on
/// instead of waiting out TCP.
/// </summary>
internal sealed class StoreEndpoints : IDisposable
{
    private const string Tls = "/var/lib/rancher/k3s/server/tls/etcd";
    private readonly Dictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    private StoreEndpoints()
    {
    }

    /// <summary>The servers a channel goes to, in server order.</summary>
    public IReadOnlyList<string> Servers => [.. _channels.Keys];

    /// <summary>Reads the certificates from <c>server-0</c> and opens a channel per server.</summary>
    public static async Task<StoreEndpoints> CreateAsync(INodeProvider provider, ChaosNodes nodes, CancellationToken cancellationToken)
    {
        var first = nodes[nodes.Servers[0]];
        async Task<string> ReadAsync(string file)
        {
            var result = await provider.ExecAsync(first, ["cat", $"{Tls}/{file}"], cancellationToken);
            return result.ExitCode == 0
                ? result.Stdout
                : throw new ChaosRunException($"store-load needs the embedded datastore's client certificate, and {first.Name} has no {Tls}/{file} ({result.Stderr.Trim()}): is the cluster on the embedded store?");
        }

        var caPem = await ReadAsync("server-ca.crt");
        var certPem = await ReadAsync("server-client.crt");
        var keyPem = await ReadAsync("server-client.key");
        var ca = X509Certificate2.CreateFromPem(caPem);
        using var ephemeral = X509Certificate2.CreateFromPem(certPem, keyPem);
        // SslStream on Linux takes the key from a PKCS#12 round trip more reliably than from an ephemeral key.
        var client = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        var endpoints = new StoreEndpoints();
        foreach (var server in nodes.Servers)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(2),
                KeepAlivePingDelay = TimeSpan.FromSeconds(1),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(2),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                SslOptions = new SslClientAuthenticationOptions
                {
                    ClientCertificates = [client],
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, ca),
                },
            };
            endpoints._channels[server] = GrpcChannel.ForAddress($"https://{nodes[server].Address}:2379", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        }

        return endpoints;
    }

    public GrpcChannel For(string server) => _channels[server];

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }

    /// <summary>The server's certificate chains to the cluster's etcd CA; its name must match too.</summary>
    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    }
}
