using System.Net;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace K3sLab.K3s.Kubelet.Client;

/// <summary>
/// The kubelet's connection to the API server: HTTPS with its client certificate (<c>system:node:&lt;name&gt;</c>),
/// trusting only the cluster's server CA, JSON bodies as <see cref="JsonNode"/> (no reflection, so NativeAOT-safe),
/// and watches read as a stream of JSON lines. Thread-safe; one instance per kubelet.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(Uri server, X509Certificate2 clientCertificate, X509Certificate2 serverCa, string component = "kubelet")
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificate is not null && TrustedBy(serverCa, new X509Certificate2(certificate), errors),
            },
        };
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd($"{component}/{Cli.RuntimeVersion.KubernetesVersion} (linux) k3slab");
    }

    public async Task<JsonObject?> GetAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, null, ct);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync(response, ct);
    }

    public async Task<JsonObject> CreateAsync(string path, JsonObject body, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, path, body, "application/json", ct);
        return await ReadAsync(response, ct);
    }

    public async Task<JsonObject> PutAsync(string path, JsonObject body, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Put, path, body, "application/json", ct);
        return await ReadAsync(response, ct);
    }

    /// <summary>A JSON merge patch (RFC 7386): maps merge, arrays are replaced whole.</summary>
    public async Task<JsonObject> MergePatchAsync(string path, JsonObject patch, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Patch, path, patch, "application/merge-patch+json", ct);
        return await ReadAsync(response, ct);
    }

    /// <summary>A strategic merge patch: lists with a merge key (pod conditions by <c>type</c>) merge item by item.</summary>
    public async Task<JsonObject> StrategicMergePatchAsync(string path, JsonObject patch, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Patch, path, patch, "application/strategic-merge-patch+json", ct);
        return await ReadAsync(response, ct);
    }

    /// <summary>Deletes; a 404 (already gone) is success.</summary>
    public async Task DeleteAsync(string path, JsonObject options, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Delete, path, options, "application/json", ct);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await ReadAsync(response, ct);
        }
    }

    /// <summary>
    /// One watch request: yields each event (<c>ADDED</c>, <c>MODIFIED</c>, <c>DELETED</c>, <c>BOOKMARK</c>,
    /// <c>ERROR</c>) until the server ends the stream. The caller resumes from the last resourceVersion it saw.
    /// </summary>
    public async IAsyncEnumerable<(string Type, JsonObject Object)> WatchAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new ApiException(response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length > 0 && JsonNode.Parse(line) is JsonObject { } e && e["type"]?.GetValue<string>() is { } type && e["object"] is JsonObject o)
            {
                yield return (type, o);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private static bool TrustedBy(X509Certificate2 ca, X509Certificate2 certificate, SslPolicyErrors errors)
    {
        using (certificate)
        {
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        }
    }

    private static async Task<JsonObject> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new ApiException(response.StatusCode, text);
        }

        return JsonNode.Parse(text) as JsonObject ?? [];
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonObject? body, string? contentType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType!);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        return await _http.SendAsync(request, timeout.Token);
    }
}
