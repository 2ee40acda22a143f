using System.Globalization;
using System.Net;

namespace K3sLab.Perf.Api;

/// <summary>
/// The requests the phases time. Each reads the whole response body before it returns, so a latency covers the
/// answer as a client receives it, and returns null on the expected status, else a short description of the failure.
/// </summary>
internal static class ApiRequests
{
    public static async Task<string?> CreateAsync(HttpClient client, string ns, string name, CancellationToken ct)
    {
        using var response = await client.PostAsync(ConfigMaps.Collection(ns), ConfigMaps.Body(name), ct);
        return await CheckAsync(response, HttpStatusCode.Created, ct);
    }

    /// <summary>Creates a ConfigMap of <paramref name="bytes"/> bytes of data.</summary>
    public static async Task<string?> CreateSizedAsync(HttpClient client, string ns, string name, int bytes, CancellationToken ct)
    {
        using var response = await client.PostAsync(ConfigMaps.Collection(ns), ConfigMaps.SizedBody(name, bytes), ct);
        return await CheckAsync(response, HttpStatusCode.Created, ct);
    }

    /// <summary>Replaces a ConfigMap unconditionally (a PUT without resourceVersion, as <c>kubectl replace</c> without it sends).</summary>
    public static async Task<string?> UpdateAsync(HttpClient client, string ns, string name, int bytes, CancellationToken ct)
    {
        using var response = await client.PutAsync(ConfigMaps.Item(ns, name), ConfigMaps.SizedBody(name, bytes), ct);
        return await CheckAsync(response, HttpStatusCode.OK, ct);
    }

    public static async Task<string?> DeleteAsync(HttpClient client, string ns, string name, CancellationToken ct)
    {
        using var response = await client.DeleteAsync(ConfigMaps.Item(ns, name), ct);
        return await CheckAsync(response, HttpStatusCode.OK, ct);
    }

    public static async Task<string?> CreateNamespaceAsync(HttpClient client, string ns, CancellationToken ct)
    {
        using var response = await client.PostAsync("/api/v1/namespaces", ConfigMaps.Namespace(ns), ct);
        return await CheckAsync(response, HttpStatusCode.Created, ct);
    }

    public static Task<string?> GetAsync(HttpClient client, string ns, string name, CancellationToken ct) => GetPathAsync(client, ConfigMaps.Item(ns, name), ct);

    /// <summary>A GET of any path that must answer 200: the baselines use it on paths that read nothing from the store.</summary>
    public static async Task<string?> GetPathAsync(HttpClient client, string path, CancellationToken ct)
    {
        using var response = await client.GetAsync(path, ct);
        return await CheckAsync(response, HttpStatusCode.OK, ct);
    }

    /// <summary>A full list of the namespace (no limit), which must hold exactly <paramref name="expected"/> items.</summary>
    public static async Task<string?> ListAsync(HttpClient client, string ns, int expected, CancellationToken ct)
    {
        using var response = await client.GetAsync(ConfigMaps.Collection(ns), ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return Describe(response, body);
        }

        var shape = ListShape.Read(body);
        return shape.Items == expected && shape.Continue is null ? null : $"LIST returned {shape.Items} items (continue: {shape.Continue ?? "none"}), expected {expected}";
    }

    /// <summary>One page of the namespace's list: its item count and the token of the next page (null on the last).</summary>
    public static async Task<(string? Error, ListShape Shape)> ListPageAsync(HttpClient client, string ns, int limit, string? next, CancellationToken ct)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"{ConfigMaps.Collection(ns)}?limit={limit}")
            + (next is null ? string.Empty : "&continue=" + Uri.EscapeDataString(next));
        using var response = await client.GetAsync(path, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return response.StatusCode == HttpStatusCode.OK ? (null, ListShape.Read(body)) : (Describe(response, body), default);
    }

    /// <summary>The namespace's current resourceVersion, as a client reads it before it watches.</summary>
    public static async Task<string> ResourceVersionAsync(HttpClient client, string ns, CancellationToken ct)
    {
        var (error, shape) = await ListPageAsync(client, ns, 1, null, ct);
        return error is null && shape.ResourceVersion is { } version ? version : throw new InvalidOperationException($"could not read the resourceVersion of {ns}: {error}");
    }

    private static async Task<string?> CheckAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        return response.StatusCode == expected ? null : Describe(response, body);
    }

    private static string Describe(HttpResponseMessage response, byte[] body)
    {
        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));
        return $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: {(int)response.StatusCode} {text}";
    }
}
