using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// Watch bookmarks as client-go's reflectors use them: with <c>allowWatchBookmarks</c> a quiet watch still learns a
/// resourceVersion at least as new as its last event before it times out, and with <c>sendInitialEvents</c> the
/// initial state ends with the <c>k8s.io/initial-events-end</c> bookmark.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class WatchBookmarkTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    [Fact]
    public async Task QuietWatch_GetsABookmarkBeforeItTimesOut()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = ClientCertificates.Admin(server);
        var created = await PostAsync(http, "bookmark-quiet", ct);
        var revision = long.Parse(created["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

        var events = await WatchAsync(http, $"/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion={revision}", ct);

        var bookmark = events.Should().ContainSingle(e => e["type"]!.GetValue<string>() == "BOOKMARK").Subject["object"]!;
        bookmark["kind"]!.GetValue<string>().Should().Be("ConfigMap");
        bookmark["apiVersion"]!.GetValue<string>().Should().Be("v1");
        long.Parse(bookmark["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(revision);

        var without = await WatchAsync(http, $"/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=3&resourceVersion={revision}", ct);
        without.Should().NotContain(e => e["type"]!.GetValue<string>() == "BOOKMARK", "bookmarks are sent only to clients that allow them");
    }

    [Fact]
    public async Task SendInitialEvents_EndsTheInitialStateWithAnAnnotatedBookmark()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = ClientCertificates.Admin(server);
        await PostAsync(http, "bookmark-initial", ct);

        var events = await WatchAsync(http, "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=2", ct);

        var end = events.FindIndex(e => e["object"]!["metadata"]!["annotations"]?["k8s.io/initial-events-end"]?.GetValue<string>() == "true");
        end.Should().BePositive();
        events[end]["type"]!.GetValue<string>().Should().Be("BOOKMARK");
        events.Take(end).Should().OnlyContain(e => e["type"]!.GetValue<string>() == "ADDED")
            .And.Contain(e => e["object"]!["metadata"]!["name"]!.GetValue<string>() == "bookmark-initial");
    }

    private async Task<JsonObject> PostAsync(HttpClient http, string name, CancellationToken ct)
    {
        using var response = await http.PostAsync(server.Url + "/api/v1/namespaces/default/configmaps", new StringContent($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"}}""", Encoding.UTF8, "application/json"), ct);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsObject();
    }

    private async Task<List<JsonObject>> WatchAsync(HttpClient http, string path, CancellationToken ct)
    {
        var body = await http.GetStringAsync(server.Url + path, ct);
        return [.. body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())];
    }
}
