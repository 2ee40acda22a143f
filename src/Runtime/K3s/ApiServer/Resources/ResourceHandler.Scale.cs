using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// The <c>scale</c> subresource of Deployments, ReplicaSets, StatefulSets and ReplicationControllers, as
/// <c>kubectl scale</c> and autoscalers use it: an autoscaling/v1 <c>Scale</c> whose <c>spec.replicas</c> is the
/// object's and whose status carries the observed replicas and the selector as a string. GET reads it; PUT and
/// PATCH (merge, JSON or strategic) change only the object's replica count, guarded by the Scale's resourceVersion.
/// </summary>
internal sealed partial class ResourceHandler
{
    private async Task ScaleAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        switch (context.Request.Method)
        {
            case "GET":
                await WriteAsync(context, 200, Scale(resource, (await storage.GetAsync(kind, info.Namespace, info.Name, ct)).Object));
                return;
            case "PUT":
                var body = await ReadBodyAsync(context, ct);
                var expected = ParseLong(Validation.JsonFields.AsString(body["metadata"]?["resourceVersion"]), "metadata.resourceVersion");
                await WriteScaledAsync(context, info, resource, kind, expected, _ => body, ct);
                return;
            case "PATCH":
                var contentType = context.Request.ContentType ?? string.Empty;
                var patch = await ReadPatchAsync(context, ct);
                await WriteScaledAsync(context, info, resource, kind, null, scale => Patches.Apply(contentType, scale, patch, "Scale"), ct);
                return;
            default:
                throw ApiErrors.MethodNotSupported(info.Group, $"{info.Resource}/scale", info.Verb);
        }
    }

    private async Task WriteScaledAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, long? expected, Func<JsonObject, JsonObject> change, CancellationToken ct)
    {
        JsonObject Scaled(JsonObject current)
        {
            var scale = change(Scale(resource, current));
            var replicas = scale["spec"]?["replicas"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
            if (replicas < 0)
            {
                throw ApiErrors.Invalid("autoscaling", "Scale", info.Name, [new StatusCause("FieldValueInvalid", $"Invalid value: {replicas}: must be greater than or equal to 0", "spec.replicas")]);
            }

            var next = (JsonObject)current.DeepClone();
            if (next["spec"] is not JsonObject spec)
            {
                next["spec"] = spec = [];
            }

            if (spec["replicas"]?.GetValue<long>() != replicas)
            {
                spec["replicas"] = replicas;
                var meta = (JsonObject)next["metadata"]!;
                meta["generation"] = (meta["generation"]?.GetValue<long>() ?? 0) + 1;
            }

            return next;
        }

        if (IsDryRun(context))
        {
            // Checked and answered as the write would be, stored nowhere (kubectl scale --dry-run=server).
            var current = await storage.GetAsync(kind, info.Namespace, info.Name, ct);
            if (expected is { } asked && asked != current.ResourceVersion)
            {
                throw ApiErrors.Conflict(info.Group, info.Resource, info.Name);
            }

            await WriteAsync(context, 200, Scale(resource, Scaled(current.Object)));
            return;
        }

        var updated = await storage.UpdateAsync(kind, info.Namespace, info.Name, expected, Scaled, ct);
        await WriteAsync(context, 200, Scale(resource, updated.Object));
    }

    private static JsonObject Scale(ApiResource resource, JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject ?? [];
        var selector = obj["spec"]?["selector"] switch
        {
            JsonObject labels when resource.Name == "replicationcontrollers" => LabelSelector.FormatMap(labels),
            JsonObject labelSelector => LabelSelector.Format(labelSelector),
            _ => string.Empty,
        };
        var scaleMeta = new JsonObject();
        foreach (var field in new[] { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" })
        {
            if (meta[field] is { } value)
            {
                scaleMeta[field] = value.DeepClone();
            }
        }

        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMeta,
            ["spec"] = new JsonObject { ["replicas"] = obj["spec"]?["replicas"]?.DeepClone() ?? 0 },
            ["status"] = new JsonObject { ["replicas"] = obj["status"]?["replicas"]?.DeepClone() ?? 0, ["selector"] = selector },
        };
    }
}
