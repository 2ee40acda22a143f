using System.Text;
using System.Text.Json;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Server;

/// <summary>
/// k3s's datastore key <c>k3s/apiaddresses</c>: a JSON array of the API servers' <c>host:port</c>, written by servers
/// that run the API and read by etcd-only servers, which have no <c>kubernetes</c> Endpoints of their own to answer
/// <c>/v1-k3s/apiservers</c> from.
/// </summary>
internal static class ApiAddressKey
{
    public const string Key = "k3s/apiaddresses";

    private static readonly byte[] KeyBytes = Encoding.UTF8.GetBytes(Key);

    /// <summary>Stores <paramref name="rendered"/> (<see cref="Render"/>'s form); every API server stores the same list, so the last write wins harmlessly.</summary>
    public static Task PutAsync(IRevisionedStore store, string rendered, CancellationToken cancellationToken) =>
        store.TxnAsync(TxnRequest.Of(new PutOp(KeyBytes, Encoding.UTF8.GetBytes(rendered))), cancellationToken);

    /// <summary>The stored addresses; empty when the key is missing or not a JSON array of strings.</summary>
    public static async Task<IReadOnlyList<string>> ReadAsync(IRevisionedStore store, CancellationToken cancellationToken)
    {
        var current = await store.RangeAsync(new RangeQuery(KeyRange.Single(KeyBytes)), cancellationToken).ConfigureAwait(false);
        return current.Kvs.Count == 1 ? Parse(current.Kvs[0].Value) : [];
    }

    /// <summary>The wire form: <c>["10.0.0.1:6443","10.0.0.2:6443"]</c>.</summary>
    internal static string Render(IReadOnlyList<string> addresses)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var address in addresses)
            {
                writer.WriteStringValue(address);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static IReadOnlyList<string> Parse(byte[] value)
    {
        try
        {
            using var document = JsonDocument.Parse(value);
            return document.RootElement.ValueKind == JsonValueKind.Array
                ? [.. document.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
