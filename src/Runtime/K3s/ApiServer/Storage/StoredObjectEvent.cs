using System.Text.Json.Nodes;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>
/// A change as a Kubernetes watch reports it, with the object still in its stored bytes: <see cref="Value"/> is
/// the object (for DELETED, the one deleted) and <see cref="Revision"/> its resourceVersion; <see cref="Previous"/>
/// is the object before a put. A BOOKMARK carries only <see cref="Revision"/>; an ERROR only <see cref="Status"/>.
/// A watch without selectors writes these bytes with the version spliced in, so no watcher parses the object.
/// </summary>
internal sealed record StoredObjectEvent(string Type, byte[]? Value, long Revision)
{
    public KeyValue? Previous { get; init; }

    public JsonObject? Status { get; init; }
}
