using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// A watch without selectors is written from the stored bytes (the resourceVersion spliced in), a selected watch
/// from the parsed object: both must put the same bytes on the wire, for every event type and for objects with
/// escapes, non-ASCII text and nested metadata-like keys.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class StoredWatchTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    [Fact]
    public async Task PlainWatch_WritesTheSameBytesAsTheParsedPath()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = ClientCertificates.Admin(server);
        await SendAsync(http, HttpMethod.Post, "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"stored-watch"}}""", ct);
        var start = (await SendAsync(http, HttpMethod.Get, "/api/v1/namespaces/stored-watch/configmaps", null, ct))["metadata"]!["resourceVersion"]!.GetValue<string>();

        const string Collection = "/api/v1/namespaces/stored-watch/configmaps";
        await SendAsync(http, HttpMethod.Post, Collection, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"app":"x"},"annotations":{"note":"line\nbreak \"quoted\" \u00e9t\u00e9 \u2603"}},"data":{"metadata":"{\"resourceVersion\":\"1\"}","k":"v"}}""", ct);
        await SendAsync(http, HttpMethod.Put, Collection + "/a", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"app":"y"}},"data":{"k":"w"}}""", ct);
        await SendAsync(http, HttpMethod.Post, Collection, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}""", ct);
        await SendAsync(http, HttpMethod.Delete, Collection + "/a", null, ct);

        var plain = await http.GetStringAsync($"{server.Url}{Collection}?watch=true&timeoutSeconds=2&resourceVersion={start}", ct);
        var parsed = await http.GetStringAsync($"{server.Url}{Collection}?watch=true&timeoutSeconds=2&resourceVersion={start}&fieldSelector=metadata.namespace%3Dstored-watch", ct);

        plain.Should().Be(parsed);
        var types = plain.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!["type"]!.GetValue<string>());
        types.Should().Equal("ADDED", "MODIFIED", "ADDED", "DELETED");
    }

    private async Task<JsonObject> SendAsync(HttpClient http, HttpMethod method, string path, string? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, server.Url + path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        response.IsSuccessStatusCode.Should().BeTrue($"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
