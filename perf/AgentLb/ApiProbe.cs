using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace K3sLab.Perf.AgentLb;

/// <summary>
/// Requests to a Kubernetes API as the cluster admin, each on a new connection as each kubectl run opens one. The
/// server must present a certificate of the cluster CA. <paramref name="connect"/>, when given, opens the connection
/// instead of a TCP connect to <paramref name="server"/> from this process: the lab's agent balancer listens on the
/// loopback of the agent's own container, which only a socket made inside that network namespace can reach.
/// </summary>
internal sealed class ApiProbe(Uri server, X509Certificate2 admin, X509Certificate2 ca, Func<CancellationToken, ValueTask<Stream>>? connect = null)
{
    /// <summary>One GET bounded by <paramref name="timeout"/>; null when it failed or ran out of time.</summary>
    public async Task<HttpStatusCode?> GetAsync(string path, TimeSpan timeout, CancellationToken ct)
    {
        using var client = Client();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        try
        {
            using var response = await client.GetAsync(path, bounded.Token);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>The body of a GET that answered 2xx within 5 s, else null.</summary>
    public async Task<string?> GetBodyAsync(string path, CancellationToken ct)
    {
        using var client = Client();
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var response = await client.GetAsync(path, bounded.Token);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(bounded.Token) : null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>When the kubelet of <paramref name="node"/> last renewed its node Lease, or null when unknown.</summary>
    public async Task<DateTimeOffset?> LeaseRenewTimeAsync(string node, CancellationToken ct)
    {
        var body = await GetBodyAsync($"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}", ct);
        return body is not null && JsonNode.Parse(body)?["spec"]?["renewTime"]?.GetValue<string>() is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    /// <summary>A client certificate with its key from PEM text, in the form SslStream can present on Linux.</summary>
    public static X509Certificate2 PairFromPem(string certificatePem, string keyPem)
    {
        using var pem = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }

    private HttpClient Client()
    {
        var handler = new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero };
        if (connect is not null)
        {
            handler.ConnectCallback = (_, token) => connect(token);
        }

        handler.SslOptions.ClientCertificates = [admin];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is null)
            {
                return false;
            }

            using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(leaf);
        };
        return new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
    }
}
