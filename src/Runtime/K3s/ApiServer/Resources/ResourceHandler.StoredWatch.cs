using System.Buffers;
using System.Threading.Channels;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

internal sealed partial class ResourceHandler
{
    /// <summary>
    /// The changes of a plain watch (no selectors, no Table) written from the stored bytes: each object is copied
    /// with its resourceVersion spliced in (<see cref="StoredJson"/>), as a plain LIST is, instead of being parsed and
    /// encoded again by every watcher. Events that are ready together go out in one write and one flush. The lines
    /// are byte for byte what the DOM path writes.
    /// </summary>
    private async Task WatchStoredAsync(HttpContext context, ApiResource resource, ResourceKind kind, string ns, string? name, long after, ChannelReader<bool>? progress, CancellationToken ct)
    {
        var lines = new ArrayBufferWriter<byte>(4096);
        await foreach (var events in storage.WatchStoredAsync(kind, ns, name, after, progress, ct))
        {
            lines.ResetWrittenCount();
            foreach (var e in events)
            {
                switch (e)
                {
                    case { Status: { } status }:
                        WriteEventLine(lines, e.Type, status);
                        break;
                    case { Value: null }:
                        WriteEventLine(lines, e.Type, Bookmark(resource, e.Revision, initialEventsEnd: false));
                        break;
                    case { Value: { } value }:
                        WriteStoredEventLine(lines, e.Type, value, e.Revision);
                        break;
                }
            }

            await context.Response.Body.WriteAsync(lines.WrittenMemory, ct);
            await context.Response.Body.FlushAsync(ct);
        }
    }

    /// <summary><c>{"type":"&lt;type&gt;","object":&lt;stored object with its version&gt;}</c> and a newline.</summary>
    private static void WriteStoredEventLine(IBufferWriter<byte> output, string type, byte[] stored, long revision)
    {
        output.Write(type switch
        {
            "ADDED" => "{\"type\":\"ADDED\",\"object\":"u8,
            "MODIFIED" => "{\"type\":\"MODIFIED\",\"object\":"u8,
            "DELETED" => "{\"type\":\"DELETED\",\"object\":"u8,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "a stored event is ADDED, MODIFIED or DELETED"),
        });
        if (!StoredJson.TryWriteWithVersion(stored, revision, output))
        {
            // Only the DOM path can repair a metadata that is not an object; write that object's line instead.
            using var json = new System.Text.Json.Utf8JsonWriter(output);
            ObjectStorage.Materialize(stored, revision).WriteTo(json);
        }

        output.Write("}\n"u8);
    }
}
