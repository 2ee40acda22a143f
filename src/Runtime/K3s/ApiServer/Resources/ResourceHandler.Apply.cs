using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Extensions;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Protobuf;
using K3sLab.K3s.ApiServer.Resources.Apply;
using K3sLab.K3s.ApiServer.Resources.Defaults;
using K3sLab.K3s.ApiServer.Resources.Strategic;
using K3sLab.K3s.ApiServer.Resources.Versions;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// Server-side apply (<c>kubectl apply --server-side</c>): a PATCH of type <c>application/apply-patch+yaml</c>
/// whose body is the manager's whole intent. A missing object is created from it (201). An existing one gets the
/// intent merged in as a strategic merge would (lists by their keys), and loses the fields this manager applied
/// before and no longer applies; the manager's field set is recorded in <c>metadata.managedFields</c>. Not here:
/// conflict detection between managers (every apply behaves as with <c>--force-conflicts</c>) and ownership of
/// fields written by updates; both are listed in docs/api-server.md.
/// </summary>
internal sealed partial class ResourceHandler
{
    private async Task ApplyAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        var manager = context.Request.Query["fieldManager"].ToString();
        if (manager.Length == 0)
        {
            throw ApiErrors.BadRequest("PATCH, application/apply-patch+yaml requests must have a field manager (the fieldManager query parameter)");
        }

        var applied = await ServerSideApply.ReadAsync(context.Request.Body, ct);
        if (Validation.JsonFields.AsString(applied["metadata"]?["name"]) is { } name && name != info.Name)
        {
            throw ApiErrors.BadRequest($"the name of the object ({name}) does not match the name on the URL ({info.Name})");
        }

        var schema = resource.Custom is null ? BuiltinPatchSchemas.For(ProtoSchema.KindMessage(resource.Group, resource.Version, resource.Kind) ?? resource.Kind) : PatchSchema.None;
        var fields = FieldSet.Of(applied, schema);
        var now = ObjectDefaults.Timestamp(time.GetUtcNow());
        StoredObject? existing;
        try
        {
            existing = await storage.GetAsync(kind, info.Namespace, info.Name, ct);
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            existing = null;
        }

        if (existing is null)
        {
            var created = (JsonObject)applied.DeepClone();
            if (created["metadata"] is not JsonObject createdMeta)
            {
                created["metadata"] = createdMeta = [];
            }

            createdMeta["name"] = info.Name;
            ManagedFields.SetApplied(created, manager, resource.GroupVersion, fields, now);
            await CreateObjectAsync(context, info, resource, kind, created, ct);
            return;
        }

        await WriteUpdatedAsync(context, info, resource, kind, null, current =>
        {
            var intent = (JsonObject)applied.DeepClone();
            FieldValidation.Check(context, resource, intent);
            ObjectDefaults.CheckBody(intent, resource.Kind, resource.GroupVersion, info.Namespace, resource.Namespaced);
            var merged = StrategicMergePatch.Apply(ServedVersions.ToServed(resource, current), Intent(intent), schema);
            if (ManagedFields.Applied(current, manager) is { } before)
            {
                FieldSet.RemoveDropped(merged, before, fields, schema);
            }

            ManagedFields.SetApplied(merged, manager, resource.GroupVersion, (JsonObject)fields.DeepClone(), now);
            merged = ServedVersions.ToStorage(resource, merged);
            BuiltinDefaults.Apply(resource.Group, resource.Kind, merged, creating: false);
            ExtensionRules.Check(resource, merged);
            return merged;
        }, ct);
    }

    /// <summary>The intent as a patch: what the server owns in metadata stays the server's.</summary>
    private static JsonObject Intent(JsonObject applied)
    {
        if (applied["metadata"] is JsonObject metadata)
        {
            foreach (var owned in new[] { "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp" })
            {
                metadata.Remove(owned);
            }
        }

        return applied;
    }
}
