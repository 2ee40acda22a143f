using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using K3sLab.K3s.Agent;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Etcd;
using System.Security.Cryptography.X509Certificates;

namespace K3sLab.K3s.Server.Embedded;

/// <summary>
/// The joining server's side of k3s's HA join, over the first server's supervisor port: trust its CA by the
/// token's hash (<c>/cacerts</c>), compare the critical configuration (<c>/v1-k3s/config</c>), fetch the shared
/// certificates and keys (<c>/v1-k3s/server-bootstrap</c>), and read the datastore's members (<c>/db/info</c>). Every
/// call authenticates as the token's <c>server</c> user; every failure is one sentence naming the server.
/// </summary>
internal sealed class ServerJoin : IDisposable
{
    private readonly Uri _server;
    private readonly HttpClient _client;

    private ServerJoin(Uri server, HttpClient client)
    {
        _server = server;
        _client = client;
    }

    /// <summary>Checks the server's CA against the token and returns a client that trusts only that CA.</summary>
    public static async Task<ServerJoin> ConnectAsync(Uri server, JoinToken token, CancellationToken cancellationToken)
    {
        var caPem = await ClusterCaFetcher.FetchAsync(server, token, cancellationToken).ConfigureAwait(false);
        var ca = X509CertificateLoader.LoadCertificate(caPem);
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && ClusterCaFetcher.ChainsTo(certificate, ca);
        var client = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("server:" + token.Password)));
        return new ServerJoin(server, client);
    }

    /// <summary>Refuses to join a cluster whose critical configuration differs from this server's.</summary>
    public async Task CheckConfigAsync(CriticalConfig mine, CancellationToken cancellationToken)
    {
        var body = await GetAsync("/v1-k3s/config", cancellationToken).ConfigureAwait(false);
        JsonObject cluster;
        try
        {
            cluster = JsonNode.Parse(body) as JsonObject ?? throw new BootstrapException($"{_server}/v1-k3s/config did not answer a JSON object");
        }
        catch (JsonException e)
        {
            throw new BootstrapException($"{_server}/v1-k3s/config did not answer JSON: {e.Message}");
        }

        if (mine.Mismatches(cluster) is { Count: > 0 } mismatches)
        {
            throw new BootstrapException($"critical configuration value mismatch between servers: {string.Join("; ", mismatches)}; start this server with the cluster's values");
        }
    }

    /// <summary>Writes the cluster's shared certificates, keys and passwd file into the data dir.</summary>
    public async Task FetchBootstrapAsync(DataDir dataDir, CancellationToken cancellationToken)
    {
        BootstrapData.Write(dataDir, await GetAsync("/v1-k3s/server-bootstrap", cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The datastore's members, as <c>/db/info</c> lists them.</summary>
    public async Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken cancellationToken)
    {
        var body = await GetAsync("/db/info", cancellationToken).ConfigureAwait(false);
        try
        {
            var members = (JsonNode.Parse(body) as JsonObject)?["members"] as JsonArray
                ?? throw new BootstrapException($"{_server}/db/info did not list members");
            return [.. members.OfType<JsonObject>().Select(m => new ClusterMember(
                m["ID"]?.GetValue<ulong>() ?? 0,
                m["name"]?.GetValue<string>() ?? string.Empty,
                Strings(m["peerURLs"]),
                Strings(m["clientURLs"]),
                m["isLearner"]?.GetValue<bool>() ?? false))];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new BootstrapException($"{_server}/db/info did not answer etcd's member list: {e.Message}");
        }
    }

    public void Dispose() => _client.Dispose();

    private static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(v => v?.GetValue<string>()).OfType<string>()] : [];

    private async Task<string> GetAsync(string path, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _client.GetAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new BootstrapException($"cannot reach {_server} to join the cluster: {e.Message}");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return response.StatusCode switch
            {
                HttpStatusCode.OK => body,
                HttpStatusCode.Unauthorized => throw new BootstrapException($"{_server} did not accept the token ({path}: 401 {body.Trim()}): use the token in server/token of a server of that cluster"),
                HttpStatusCode.Forbidden => throw new BootstrapException($"{_server} refused the token for joining a server ({path}: 403 {body.Trim()}): an agent token cannot join servers"),
                HttpStatusCode.BadRequest when path != "/v1-k3s/config" => throw new BootstrapException($"{_server} does not run the embedded datastore ({path}: {body.Trim()}): start the first server with --cluster-init"),
                _ => throw new BootstrapException($"{_server}{path} answered {(int)response.StatusCode} {body.Trim()}"),
            };
        }
    }
}
