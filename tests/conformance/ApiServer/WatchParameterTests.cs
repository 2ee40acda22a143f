using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.ApiServer;

/// <summary>
/// A watch's query parameters as kube-apiserver reads them: <c>timeoutSeconds=0</c> means "not given" (the server's
/// default, 30 to 60 minutes), not "end now"; a timeout longer than the server can time is still a watch, not an
/// error; a malformed resourceVersion is a 400 Status before the stream starts, not a stream that breaks. A GET or
/// LIST at a resourceVersion the store has not reached waits for it (3 s, as the watch cache waits) and then answers
/// kube's 504 with the cause client-go's reflector recognises.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class WatchParameterTests(K3sServerProcess server) : IClassFixture<K3sServerProcess>
{
    [Theory]
    [InlineData("0")]
    [InlineData("9999999999")]
    public async Task Watch_WithTimeoutSeconds_StaysOpenForTheNextChange(string timeoutSeconds)
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = ClientCertificates.Admin(server);
        var name = $"timeout-{timeoutSeconds.Length}";
        var list = JsonNode.Parse(await http.GetStringAsync(server.Url + "/api/v1/namespaces/default/configmaps", ct))!;
        var revision = list["metadata"]!["resourceVersion"]!.GetValue<string>();

        using var watch = await http.GetAsync(
            server.Url + $"/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds={timeoutSeconds}&resourceVersion={revision}",
            HttpCompletionOption.ResponseHeadersRead,
            ct);
        watch.StatusCode.Should().Be(HttpStatusCode.OK, await ErrorBodyAsync(watch, ct));
        using var body = new StreamReader(await watch.Content.ReadAsStreamAsync(ct));

        using var created = await http.PostAsync(server.Url + "/api/v1/namespaces/default/configmaps", new StringContent($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"}}""", Encoding.UTF8, "application/json"), ct);
        created.EnsureSuccessStatusCode();

        using var within = CancellationTokenSource.CreateLinkedTokenSource(ct);
        within.CancelAfter(TimeSpan.FromSeconds(20));
        var line = await body.ReadLineAsync(within.Token);
        line.Should().NotBeNull("the watch must still be open when the ConfigMap is created");
        var e = JsonNode.Parse(line!)!;
        e["type"]!.GetValue<string>().Should().Be("ADDED");
        e["object"]!["metadata"]!["name"]!.GetValue<string>().Should().Be(name);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("99999999999999999999")]
    public async Task Watch_WithAMalformedResourceVersion_IsABadRequest(string resourceVersion)
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = ClientCertificates.Admin(server);

        using var watch = await http.GetAsync(server.Url + $"/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=5&resourceVersion={resourceVersion}", ct);

        watch.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var status = JsonNode.Parse(await watch.Content.ReadAsStringAsync(ct))!;
        status["kind"]!.GetValue<string>().Should().Be("Status");
        status["reason"]!.GetValue<string>().Should().Be("BadRequest");
        status["message"]!.GetValue<string>().Should().Contain(resourceVersion);
    }

    private static async Task<string> ErrorBodyAsync(HttpResponseMessage response, CancellationToken ct) =>
        response.IsSuccessStatusCode ? string.Empty : await response.Content.ReadAsStringAsync(ct);

    [Fact]
    public async Task Reads_AheadOfTheStore_WaitForIt_ThenAnswerTooLargeResourceVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = ClientCertificates.Admin(server);
        var created = await http.PostAsync(server.Url + "/api/v1/namespaces/default/configmaps", new StringContent("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"rv-ahead"}}""", Encoding.UTF8, "application/json"), ct);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var revision = long.Parse(JsonNode.Parse(await created.Content.ReadAsStringAsync(ct))!["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

        // Far ahead: both reads end in kube's 504, whose cause makes a reflector relist rather than retry the version.
        foreach (var path in new[] { "/api/v1/namespaces/default/configmaps/rv-ahead", "/api/v1/namespaces/default/configmaps" })
        {
            using var ahead = await http.GetAsync(server.Url + path + $"?resourceVersion={revision + 1_000_000}", ct);
            ahead.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout, path);
            var status = JsonNode.Parse(await ahead.Content.ReadAsStringAsync(ct))!;
            status["reason"]!.GetValue<string>().Should().Be("Timeout");
            status["message"]!.GetValue<string>().Should().StartWith($"Too large resource version: {revision + 1_000_000}, current: ");
            status["details"]!.ToJsonString().Should().Be("""{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1}""");
        }

        // Just ahead: the read waits, and a write that reaches the version within the wait lets it through.
        var read = http.GetAsync(server.Url + $"/api/v1/namespaces/default/configmaps/rv-ahead?resourceVersion={revision + 1}", ct);
        await Task.Delay(500, ct);
        read.IsCompleted.Should().BeFalse("the store is not at that version yet");
        (await http.PostAsync(server.Url + "/api/v1/namespaces/default/configmaps", new StringContent("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"rv-next"}}""", Encoding.UTF8, "application/json"), ct)).StatusCode.Should().Be(HttpStatusCode.Created);
        using var answered = await read;
        answered.StatusCode.Should().Be(HttpStatusCode.OK, await ErrorBodyAsync(answered, ct));
    }
}
