using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers;

/// <summary>Writes controllers share: one whose refusal means "already as wanted", and taking a finalizer off an object.</summary>
internal static class ApiWrites
{
    /// <summary>Awaits <paramref name="write"/>, treating <paramref name="ignored"/> (409 for a create, 404 for a delete) as done.</summary>
    public static async Task IgnoreAsync(Task write, HttpStatusCode ignored)
    {
        try
        {
            await write;
        }
        catch (ApiException e) when (e.Status == ignored)
        {
            // Already as wanted (created earlier, or gone).
        }
    }

    /// <summary>
    /// Takes <paramref name="finalizer"/> off <paramref name="obj"/> (a cached copy) with an update at its resourceVersion,
    /// so a newer change makes it a 409 to retry; false when the object did not hold the finalizer. An object already
    /// gone counts as done.
    /// </summary>
    public static async Task<bool> RemoveFinalizerAsync(ApiClient api, ResourceKind kind, JsonObject obj, string finalizer, CancellationToken ct)
    {
        var finalizers = obj.Obj("metadata").Arr("finalizers");
        if (finalizers is null || !finalizers.Any(f => JsonFields.AsString(f) == finalizer))
        {
            return false;
        }

        var update = obj.DeepClone().AsObject();
        update.Obj("metadata")!["finalizers"] = new JsonArray([.. finalizers.Where(f => JsonFields.AsString(f) != finalizer).Select(f => f!.DeepClone())]);
        await IgnoreAsync(api.PutAsync(ApiPaths.For(kind, ObjectKeys.Namespace(obj), ObjectKeys.Name(obj)), update, ct), HttpStatusCode.NotFound);
        return true;
    }
}
