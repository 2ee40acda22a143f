using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Storage;

/// <summary>An object as read back from the datastore, with <c>metadata.resourceVersion</c> set to the revision that last changed it.</summary>
internal sealed record StoredObject(JsonObject Object, long ResourceVersion);

/// <summary>One page of a list: the objects, the revision the list was read at, and what the next page needs.</summary>
internal sealed record ObjectList(IReadOnlyList<JsonObject> Items, long ResourceVersion, string? Continue, long? RemainingItemCount);

/// <summary>One page of a list with the objects as stored: <see cref="Store.KeyValue.ModRevision"/> is each one's resourceVersion.</summary>
internal sealed record StoredList(IReadOnlyList<Store.KeyValue> Kvs, long ResourceVersion, string? Continue, long? RemainingItemCount);

/// <summary>A change as a Kubernetes watch reports it: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
internal sealed record ObjectEvent(string Type, JsonObject Object)
{
    /// <summary>The object before the change (null for ADDED), so selector-filtered watches can tell an object leaving the selection.</summary>
    public JsonObject? Previous { get; init; }
}
