using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Agent;

/// <summary>
/// The agent's client for the supervisor endpoints (<c>/v1-k3s/*</c>) of the server it reaches through its load
/// balancer, authenticated as k3s's <c>node</c> user with the token's password and trusting only the cluster CA.
/// Each failure is one sentence: a wrong token is a <see cref="BootstrapException"/> (the agent exits); an
/// unreachable or unready server, and a node password the server does not accept, are
/// <see cref="ServerNotReadyException"/>s (the agent retries). Thread-safe.
/// </summary>
internal sealed class SupervisorClient : IDisposable
{
    /// <summary>k3s's words for a 403 on the kubelet certificate requests.</summary>
    public const string PasswordRejected = "Node password rejected, duplicate hostname or contents of '/etc/rancher/node/password' may not match server node-passwd entry, try enabling a unique node name with the --with-node-id flag";

    private readonly Uri _server;
    private readonly HttpClient _client;

    /// <param name="server">The supervisor URL (the agent's load balancer).</param>
    /// <param name="serverCa">The cluster's server CA; the caller keeps ownership.</param>
    /// <param name="password">The token's password, sent as user <c>node</c>.</param>
    public SupervisorClient(Uri server, X509Certificate2 serverCa, string password)
    {
        _server = server;
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && ClusterCaFetcher.ChainsTo(certificate, serverCa);
        _client = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("node:" + password)));
    }

    /// <summary><c>GET /v1-k3s/config</c>: the cluster's configuration as the servers agree on it.</summary>
    public async Task<JsonObject> ConfigAsync(CancellationToken cancellationToken)
    {
        var body = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1-k3s/config"), cancellationToken).ConfigureAwait(false);
        return Parse(body, "/v1-k3s/config") as JsonObject ?? throw new ServerNotReadyException($"{_server}v1-k3s/config did not answer a JSON object");
    }

    /// <summary><c>GET /v1-k3s/apiservers</c>: the API servers' <c>host:port</c> addresses.</summary>
    public async Task<IReadOnlyList<string>> ApiServersAsync(CancellationToken cancellationToken)
    {
        var body = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1-k3s/apiservers"), cancellationToken).ConfigureAwait(false);
        return Parse(body, "/v1-k3s/apiservers") is JsonArray list
            ? [.. list.Select(v => v is JsonValue value && value.TryGetValue<string>(out var s) ? s : null).OfType<string>()]
            : throw new ServerNotReadyException($"{_server}v1-k3s/apiservers did not answer a JSON list");
    }

    /// <summary>
    /// <c>POST /v1-k3s/{serving,client}-kubelet.crt</c> with the CSR and the node's headers; returns the PEM answer.
    /// A 403 is the node-password rejection, in k3s's words.
    /// </summary>
    public Task<string> KubeletCertificateAsync(bool serving, string csrPem, string nodeName, string nodePassword, string nodeIps, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, serving ? "/v1-k3s/serving-kubelet.crt" : "/v1-k3s/client-kubelet.crt")
        {
            Content = new StringContent(csrPem, Encoding.ASCII, "application/x-pem-file"),
        };
        request.Headers.Add("k3s-Node-Name", nodeName);
        request.Headers.Add("k3s-Node-Password", nodePassword);
        request.Headers.Add("k3s-Node-IP", nodeIps);
        return SendAsync(request, cancellationToken);
    }

    /// <summary><c>GET /v1-k3s/client-kube-proxy.crt</c>: the service proxy's client certificate and key, in one PEM answer.</summary>
    public Task<string> KubeProxyCertificateAsync(CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, "/v1-k3s/client-kube-proxy.crt"), cancellationToken);

    public void Dispose() => _client.Dispose();

    private JsonNode? Parse(string body, string path)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw new ServerNotReadyException($"{_server}{path.TrimStart('/')} did not answer JSON: {e.Message}");
        }
    }

    private async Task<string> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            var path = request.RequestUri!.OriginalString;
            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ServerNotReadyException($"{_server} cannot be reached ({path}): {e.Message}");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ServerNotReadyException($"{_server} did not answer {path} within {_client.Timeout.TotalSeconds:0} s");
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                return response.StatusCode switch
                {
                    HttpStatusCode.OK => body,
                    HttpStatusCode.Unauthorized => throw new BootstrapException($"the server did not accept the token ({path}: 401 {body.Trim()}): use the agent token or the token in server/token of a server of this cluster"),
                    HttpStatusCode.Forbidden when path.EndsWith("-kubelet.crt", StringComparison.Ordinal) => throw new ServerNotReadyException(PasswordRejected),
                    HttpStatusCode.Forbidden => throw new BootstrapException($"the server refused the token for an agent ({path}: 403 {body.Trim()})"),
                    _ => throw new ServerNotReadyException($"{_server}{path.TrimStart('/')} answered {(int)response.StatusCode} {body.Trim()}"),
                };
            }
        }
    }
}
