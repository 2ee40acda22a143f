using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s;

namespace K3sLab.Lab.Cluster;

/// <summary>
/// Reads a lab cluster's health from the host: Ready nodes through the API (the admin kubeconfig, so through the
/// load balancer) and the embedded datastore's voters from a server's <c>/db/info</c> (as k3s's <c>server</c> user
/// with the join token, trusting only the cluster CA). Errors read as "not yet": the caller waits with a deadline.
/// </summary>
public sealed class ClusterStatusReader : IDisposable
{
    private readonly Kubernetes _api;
    private readonly HttpClient _supervisor;

    public ClusterStatusReader(string kubeconfigPath, IPAddress server, string token)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        _api = new Kubernetes(config);
        var ca = config.SslCaCerts?.Cast<X509Certificate2>().FirstOrDefault();
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => ca is not null && certificate is not null && ChainsTo(certificate, ca);
        _supervisor = new HttpClient(handler) { BaseAddress = new Uri($"https://{server}:{Providers.LabNaming.ApiPort}"), Timeout = TimeSpan.FromSeconds(5) };
        _supervisor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("server:" + token)));
    }

    /// <summary>How many Nodes report Ready=True; 0 while the API does not answer.</summary>
    public async Task<int> ReadyNodesAsync(CancellationToken ct)
    {
        try
        {
            var nodes = await _api.CoreV1.ListNodeAsync(cancellationToken: ct);
            return nodes.Items.Count(n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return 0;
        }
    }

    /// <summary>
    /// How many Nodes report Ready=True in a status written at or after <paramref name="since"/> (the Ready
    /// condition's heartbeat time): after a restart, a Ready condition left from before is not evidence.
    /// </summary>
    public async Task<int> ReadyNodesAsync(DateTimeOffset since, CancellationToken ct)
    {
        try
        {
            var nodes = await _api.CoreV1.ListNodeAsync(cancellationToken: ct);
            return nodes.Items.Count(n => ReadySince(n, since));
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return 0;
        }
    }

    /// <summary>Whether Node <paramref name="node"/> reports Ready=True in a status written at or after <paramref name="since"/>.</summary>
    public async Task<bool> IsReadySinceAsync(string node, DateTimeOffset since, CancellationToken ct)
    {
        try
        {
            var found = await _api.CoreV1.ReadNodeAsync(node, cancellationToken: ct);
            return ReadySince(found, since);
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>Each Node's Ready status (<c>True</c>, <c>False</c>, <c>Unknown</c>) by name; empty while the API does not answer.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadinessAsync(CancellationToken ct)
    {
        try
        {
            var nodes = await _api.CoreV1.ListNodeAsync(cancellationToken: ct);
            return nodes.Items.ToDictionary(
                n => n.Metadata.Name,
                n => n.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status ?? "Unknown",
                StringComparer.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return new Dictionary<string, string>();
        }
    }

    /// <summary>The datastore's voting members' names; empty while the server does not answer.</summary>
    public async Task<IReadOnlyList<string>> VotersAsync(CancellationToken ct)
    {
        try
        {
            var members = JsonNode.Parse(await _supervisor.GetStringAsync("/db/info", ct))?["members"] as JsonArray;
            return [.. (members ?? []).OfType<JsonObject>().Where(m => m["isLearner"]?.GetValue<bool>() != true).Select(m => m["name"]?.GetValue<string>() ?? string.Empty)];
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return [];
        }
    }

    private static bool ReadySince(k8s.Models.V1Node node, DateTimeOffset since) =>
        node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True" && c.LastHeartbeatTime is { } beat && new DateTimeOffset(DateTime.SpecifyKind(beat, DateTimeKind.Utc)) >= since) == true;

    public void Dispose()
    {
        _api.Dispose();
        _supervisor.Dispose();
    }

    private static bool ChainsTo(X509Certificate certificate, X509Certificate2 ca)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
