using System.Buffers;
using System.Text.Json;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

internal sealed partial class ResourceHandler
{
    /// <summary>
    /// A plain JSON LIST (no selectors, no Table) written from the stored bytes: each object is copied with its
    /// resourceVersion spliced in (<see cref="StoredJson"/>) instead of being parsed into a DOM and encoded again. The
    /// body is byte for byte what <see cref="ListAsync"/> and <see cref="WriteAsync"/> produce. False when the
    /// request needs the DOM path.
    /// </summary>
    private async Task<bool> TryWriteStoredListAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        var query = context.Request.Query;
        if (!string.IsNullOrEmpty(query["labelSelector"]) || !string.IsNullOrEmpty(query["fieldSelector"]))
        {
            return false;
        }

        var limit = ParseLong(query["limit"], "limit") ?? 0;
        var revision = await ListRevisionAsync(query["resourceVersion"], query["resourceVersionMatch"], ct);
        var page = await storage.ListStoredAsync(kind, info.Namespace, limit, query["continue"], revision, ct);

        var body = new ArrayBufferWriter<byte>(256 + page.Kvs.Sum(kv => kv.Value.Length + 32));
        var item = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("kind", resource.Kind + "List");
            json.WriteString("apiVersion", resource.GroupVersion);
            json.WriteStartObject("metadata");
            json.WriteString("resourceVersion", page.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (page.Continue is not null)
            {
                json.WriteString("continue", page.Continue);
                if (page.RemainingItemCount is { } remaining)
                {
                    json.WriteNumber("remainingItemCount", remaining);
                }
            }

            json.WriteEndObject();
            json.WriteStartArray("items");
            foreach (var kv in page.Kvs)
            {
                item.ResetWrittenCount();
                if (StoredJson.TryWriteWithVersion(kv.Value, kv.ModRevision, item))
                {
                    json.WriteRawValue(item.WrittenSpan, skipInputValidation: true);
                }
                else
                {
                    ObjectStorage.Materialize(kv).WriteTo(json);
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body.WrittenMemory, ct);
        return true;
    }
}
