using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;

namespace K3sLab.K3s.ApiServer.OpenApi;

/// <summary>
/// <c>/openapi/v3</c>: an index of one document per group/version (<c>api/v1</c>, <c>apis/apps/v1</c>, ...), each
/// with a <c>serverRelativeURL</c> carrying a content hash, and the documents themselves. A document lists the paths
/// of its resources with their operations, each tagged with <c>x-kubernetes-action</c> and
/// <c>x-kubernetes-group-version-kind</c>, and the <c>dryRun</c>, <c>fieldManager</c> and <c>fieldValidation</c>
/// parameters on writes. kubectl reads this to learn that the server validates fields itself (so <c>kubectl
/// apply</c> needs no <c>--validate=false</c>) and <c>kubectl explain</c> reads the schemas.
/// </summary>
internal sealed class OpenApiV3
{
    private static readonly string[] PatchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

    // Without a schema here (custom resources, and built-ins missing from the table) a strategic merge patch is not
    // offered: kubectl then sends a JSON merge patch, as it does for custom resources on kube-apiserver.
    private static readonly string[] PlainPatchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

    private readonly Dictionary<string, byte[]> _documents = new(StringComparer.Ordinal);

    public OpenApiV3(IReadOnlyList<ApiResource> catalog, string kubernetesVersion)
    {
        var index = new JsonObject();
        foreach (var group in catalog.GroupBy(r => (r.Group, r.Version)))
        {
            var prefix = group.Key.Group.Length == 0 ? $"api/{group.Key.Version}" : $"apis/{group.Key.Group}/{group.Key.Version}";
            var document = Document(group, "/" + prefix, kubernetesVersion);
            Parsed.Add(document);
            var body = Encoding.UTF8.GetBytes(document.ToJsonString());
            _documents[prefix] = body;
            index[prefix] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{prefix}?hash={Convert.ToHexString(SHA512.HashData(body))}" };
        }

        Index = Encoding.UTF8.GetBytes(new JsonObject { ["paths"] = index }.ToJsonString());
    }

    public byte[] Index { get; }

    /// <summary>Every group/version document, as built (for the v2 document, which merges them).</summary>
    public List<JsonObject> Parsed { get; } = [];

    /// <summary>The document for <c>api/v1</c> or <c>apis/&lt;group&gt;/&lt;version&gt;</c>; null when not served.</summary>
    public byte[]? Document(string groupVersionPath) => _documents.GetValueOrDefault(groupVersionPath.Trim('/'));

    private static JsonObject Document(IEnumerable<ApiResource> resources, string prefix, string kubernetesVersion)
    {
        var schemas = new ComponentSchemas();
        var paths = new JsonObject();
        foreach (var resource in resources)
        {
            var kindRef = schemas.AddKind(resource, resource.Kind, resource.Group, resource.Version);
            var gvk = ComponentSchemas.Gvk(resource.Group, resource.Version, resource.Kind);
            var collection = resource.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{resource.Name}" : $"{prefix}/{resource.Name}";
            var item = collection + "/{name}";
            var scope = resource.Namespaced ? new[] { "namespace" } : [];
            var verbs = resource.Verbs;

            var collectionOps = new JsonObject();
            if (verbs.Contains("list"))
            {
                collectionOps["get"] = Operation("list", resource.Kind, gvk, kindRef + "List", writes: false);
            }

            if (verbs.Contains("create"))
            {
                collectionOps["post"] = Operation("post", resource.Kind, gvk, kindRef, writes: true, body: kindRef);
            }

            if (verbs.Contains("deletecollection"))
            {
                collectionOps["delete"] = Operation("deletecollection", resource.Kind, gvk, null, writes: false);
            }

            AddPath(paths, collection, collectionOps, scope);
            if (resource.Namespaced && verbs.Contains("list"))
            {
                AddPath(paths, $"{prefix}/{resource.Name}", new JsonObject { ["get"] = Operation("list", resource.Kind, gvk, kindRef + "List", writes: false) }, []);
            }

            var strategic = resource.Custom is null && Protobuf.ProtoSchema.Kind(resource.Group, resource.Version, resource.Kind) is not null;
            AddPath(paths, item, ItemOperations(verbs, resource.Kind, gvk, kindRef, strategic), [.. scope, "name"]);
            foreach (var sub in resource.Subresources.Where(s => s.Name is "status" or "scale"))
            {
                var subKind = sub.Kind ?? resource.Kind;
                var subGroup = sub.Group ?? resource.Group;
                var subVersion = sub.Version ?? resource.Version;
                var subRef = sub.Name == "status" ? kindRef : schemas.AddKind(resource with { Verbs = [] }, subKind, subGroup, subVersion);
                AddPath(paths, $"{item}/{sub.Name}", ItemOperations(sub.Verbs, subKind, ComponentSchemas.Gvk(subGroup, subVersion, subKind), subRef, strategic), [.. scope, "name"]);
            }
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = kubernetesVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas.Schemas },
        };
    }

    private static JsonObject ItemOperations(IReadOnlyList<string> verbs, string kind, JsonArray gvk, string kindRef, bool strategic)
    {
        var ops = new JsonObject();
        if (verbs.Contains("get"))
        {
            ops["get"] = Operation("get", kind, gvk, kindRef, writes: false);
        }

        if (verbs.Contains("update"))
        {
            ops["put"] = Operation("put", kind, gvk, kindRef, writes: true, body: kindRef);
        }

        if (verbs.Contains("patch"))
        {
            ops["patch"] = Operation("patch", kind, gvk, kindRef, writes: true, patch: strategic ? PatchTypes : PlainPatchTypes);
        }

        if (verbs.Contains("delete"))
        {
            ops["delete"] = Operation("delete", kind, gvk, null, writes: false);
        }

        return ops;
    }

    private static void AddPath(JsonObject paths, string path, JsonObject operations, string[] pathParameters)
    {
        if (operations.Count == 0)
        {
            return;
        }

        var parameters = new JsonArray();
        foreach (var name in pathParameters)
        {
            parameters.Add((JsonNode)new JsonObject { ["name"] = name, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } });
        }

        parameters.Add((JsonNode)Query("pretty"));
        operations["parameters"] = parameters;
        paths[path] = operations;
    }

    private static JsonObject Operation(string action, string kind, JsonArray gvk, string? responseRef, bool writes, string? body = null, string[]? patch = null)
    {
        var operation = new JsonObject
        {
            ["operationId"] = action + kind,
            ["x-kubernetes-action"] = action,
            // An object on operations, a list on schemas, as kube-apiserver writes them.
            ["x-kubernetes-group-version-kind"] = gvk[0]!.DeepClone(),
        };
        if (writes)
        {
            operation["parameters"] = new JsonArray(Query("dryRun"), Query("fieldManager"), Query("fieldValidation"));
        }

        if (body is not null || patch is not null)
        {
            var content = new JsonObject();
            foreach (var type in patch ?? ["application/json"])
            {
                content[type] = new JsonObject { ["schema"] = patch is not null ? new JsonObject { ["type"] = "object" } : new JsonObject { ["$ref"] = body } };
            }

            operation["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true };
        }

        var ok = new JsonObject { ["description"] = "OK" };
        if (responseRef is not null)
        {
            ok["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = responseRef } } };
        }

        operation["responses"] = new JsonObject { ["200"] = ok, ["401"] = new JsonObject { ["description"] = "Unauthorized" } };
        return operation;
    }

    private static JsonObject Query(string name) =>
        new() { ["name"] = name, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } };
}
