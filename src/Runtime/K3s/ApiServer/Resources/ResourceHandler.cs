using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Protobuf;
using K3sLab.K3s.ApiServer.Resources.Services;
using K3sLab.K3s.ApiServer.Resources.Tables;
using K3sLab.K3s.ApiServer.Resources.Versions;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// The generic REST handler for stored resources, as kube-apiserver's generic registry serves them: get, list
/// (selectors, paging, resourceVersion), watch (JSON event stream), create, update, patch, delete and
/// deletecollection, plus the <c>status</c> subresource. Kind-specific behaviour (defaults, validation beyond
/// names, controllers) belongs to the layers above.
/// </summary>
internal sealed partial class ResourceHandler(ObjectStorage storage, ResourceRegistry registry, ServiceAddresses services, Authorization.RbacPolicyCache policy, TimeProvider time, Kubelets.KubeletClient? kubelets = null, bool serviceAccountAdmission = true, ObjectCache? serviceAccountCache = null)
{
    /// <summary>Resources that have no stored objects (reviews, bindings): not served by this handler.</summary>
    private static readonly HashSet<string> NotStored = ["bindings", "componentstatuses", "tokenreviews", "selfsubjectreviews", "subjectaccessreviews", "selfsubjectaccessreviews", "selfsubjectrulesreviews", "localsubjectaccessreviews"];

    private static readonly ResourceKind Namespaces = new(string.Empty, "namespaces", false);

    /// <summary>How long a read at a resourceVersion ahead of this server waits for it, and how often it looks.</summary>
    private static readonly TimeSpan FreshnessWait = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan FreshnessPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>The namespaces kube-apiserver's NamespaceLifecycle admission refuses to delete.</summary>
    private static readonly HashSet<string> ImmortalNamespaces = ["default", "kube-system", "kube-public"];

    /// <summary>The columns of <c>kubectl get</c>: a custom resource's own, else the built-in kind's.</summary>
    private static IReadOnlyList<TableColumn> Columns(ApiResource resource) => resource.Custom?.Columns ?? TableColumns.For(resource.Name);

    public static bool Serves(ApiResource resource) => !NotStored.Contains(resource.Name) && resource.Verbs.Contains("get");

    public async Task HandleAsync(HttpContext context, RequestInfo info, ApiResource resource)
    {
        if (resource is { Group: "", Name: "pods" } && info.Name.Length > 0 && info.Subresource is "binding" or "eviction")
        {
            await (info.Subresource == "binding" ? BindAsync(context, info, context.RequestAborted) : EvictAsync(context, info, context.RequestAborted));
            return;
        }

        if (info.Subresource == "scale" && resource.Subresources.Any(s => s.Name == "scale") && resource.Custom is null && info.Name.Length > 0)
        {
            await ScaleAsync(context, info, resource, new ResourceKind(resource.Group, resource.Name, resource.Namespaced), context.RequestAborted);
            return;
        }

        if (resource is { Group: "", Name: "pods" } && info.Subresource == "log" && info.Name.Length > 0)
        {
            await LogAsync(context, info, context.RequestAborted);
            return;
        }

        if (resource is { Group: "", Name: "pods" } && info.Subresource is "exec" or "attach" or "portforward" && info.Name.Length > 0)
        {
            await StreamAsync(context, info, context.RequestAborted);
            return;
        }

        if (resource is { Group: "", Name: "pods" or "nodes" or "services" } && info.Subresource is "log" or "exec" or "attach" or "portforward" or "proxy")
        {
            // kube-apiserver proxies these to the node's kubelet (or through it); this build serves logs, exec, attach and port-forward of pods only.
            throw new ApiStatusException(405, "MethodNotAllowed", $"{info.Resource}/{info.Subresource} is not supported by this server yet: it serves pods' log, exec, attach and portforward through the node's kubelet, but no proxy subresources", info.Name, info.Group, info.Resource);
        }

        if (info.Subresource.Length > 0 && !(info.Subresource is "status" or "approval" && resource.Subresources.Any(s => s.Name == info.Subresource)))
        {
            throw ApiErrors.MethodNotSupported(info.Group, $"{info.Resource}/{info.Subresource}", info.Verb);
        }

        if (resource.Namespaced && info.Namespace.Length == 0 && info.Verb is not ("list" or "watch"))
        {
            throw ApiErrors.BadRequest("the server could not find the requested resource: a namespaced resource needs a namespace in its path");
        }

        if (!resource.Verbs.Contains(info.Verb))
        {
            // A verb discovery does not list has no route in kube-apiserver, e.g. DELETE on the namespaces collection.
            throw ApiErrors.MethodNotSupported(info.Group, info.Resource, info.Verb);
        }

        if (info.Name.Length == 0 && info.Verb is "update" or "patch" or "delete")
        {
            // PUT and PATCH address one object; kube-apiserver has no such route on a collection.
            throw ApiErrors.MethodNotSupported(info.Group, info.Resource, info.Verb);
        }

        var kind = new ResourceKind(resource.Group, resource.Name, resource.Namespaced);
        var ct = context.RequestAborted;
        var table = info.Subresource.Length == 0 ? TableRequest.From(context.Request.Headers.Accept, context.Request.Query["includeObject"]) : null;
        switch (info.Verb)
        {
            case "get":
                // A GET at a resourceVersion reads the newest object once this server has reached that version.
                await FreshAsync(ParseLong(context.Request.Query["resourceVersion"], "resourceVersion") ?? 0, ct);
                var got = (await storage.GetAsync(kind, info.Namespace, info.Name, ct)).Object;
                await WriteAsync(context, 200, table is null ? ServedVersions.ToServed(resource, got) : TableConverter.Convert(table, Columns(resource), [got], new JsonObject { ["resourceVersion"] = got["metadata"]?["resourceVersion"]?.DeepClone() }, time.GetUtcNow()));
                break;
            case "list":
                if (table is null && !ServedVersions.Converts(resource) && await TryWriteStoredListAsync(context, info, resource, kind, ct))
                {
                    break;
                }

                var list = await ListAsync(context, info, resource, kind, ct);
                if (table is null)
                {
                    ServeItems(resource, list);
                }

                await WriteAsync(context, 200, table is null ? list : TableConverter.Convert(table, Columns(resource), (list["items"] as JsonArray ?? []).OfType<JsonObject>(), list["metadata"] as JsonObject, time.GetUtcNow()));
                break;
            case "watch":
                await WatchAsync(context, info, resource, kind, table, ct);
                break;
            case "create":
                await CreateAsync(context, info, resource, kind, ct);
                break;
            case "update":
                await UpdateAsync(context, info, resource, kind, ct);
                break;
            case "patch":
                await PatchAsync(context, info, resource, kind, ct);
                break;
            case "delete":
                await DeleteAsync(context, info, resource, kind, ct);
                break;
            case "deletecollection":
                await DeleteCollectionAsync(context, info, resource, kind, ct);
                break;
            default:
                throw ApiErrors.MethodNotSupported(info.Group, info.Resource, info.Verb);
        }
    }

    private async Task<JsonObject> ListAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, CancellationToken ct)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], resource.Kind);
        var limit = ParseLong(query["limit"], "limit") ?? 0;
        var revision = await ListRevisionAsync(query["resourceVersion"], query["resourceVersionMatch"], ct);
        var items = new JsonArray();
        string? next = query["continue"];
        long listRevision;
        long? remaining;
        var filtered = !labels.IsEverything || !string.IsNullOrEmpty(query["fieldSelector"]);
        while (true)
        {
            var page = await storage.ListAsync(kind, info.Namespace, limit, next, revision, ct);
            (listRevision, next, remaining) = (page.ResourceVersion, page.Continue, filtered ? null : page.RemainingItemCount);
            revision = page.ResourceVersion;
            foreach (var item in page.Items.Where(o => labels.Matches(o) && fields.Matches(o)))
            {
                if (limit > 0 && items.Count == limit)
                {
                    // A full page before the store's page ended: continue right after the last item returned.
                    var last = (JsonObject)items[^1]!["metadata"]!;
                    var key = kind.Key(last["namespace"]?.GetValue<string>() ?? string.Empty, last["name"]!.GetValue<string>());
                    next = ContinueToken.Encode(listRevision, key[kind.ListPrefix(info.Namespace).Length..] + "\u0000");
                    break;
                }

                items.Add((JsonNode)item);
            }

            if (next is null || limit == 0 || items.Count >= limit)
            {
                break;
            }
        }

        var metadata = new JsonObject { ["resourceVersion"] = listRevision.ToString(CultureInfo.InvariantCulture) };
        if (next is not null)
        {
            metadata["continue"] = next;
            if (remaining is { } count)
            {
                metadata["remainingItemCount"] = count;
            }
        }

        return new JsonObject
        {
            ["kind"] = resource.Kind + "List",
            ["apiVersion"] = resource.GroupVersion,
            ["metadata"] = metadata,
            ["items"] = items,
        };
    }

    /// <summary>
    /// The list revision kube-apiserver would serve: unset and "0" mean the latest; with
    /// <c>resourceVersionMatch=Exact</c> that revision; otherwise the latest, which is never older than asked.
    /// </summary>
    private async Task<long> ListRevisionAsync(string? version, string? match, CancellationToken ct)
    {
        var asked = ParseLong(version, "resourceVersion") ?? 0;
        if (match is "Exact")
        {
            return asked > 0 ? asked : throw ApiErrors.BadRequest("resourceVersionMatch=Exact needs a resourceVersion other than 0");
        }

        if (match is { Length: > 0 } and not "NotOlderThan")
        {
            throw ApiErrors.BadRequest($"unsupported resourceVersionMatch \"{match}\": use Exact or NotOlderThan");
        }

        await FreshAsync(asked, ct);
        return 0;
    }

    /// <summary>
    /// Waits until this server's store has reached <paramref name="asked"/>, for at most 3 s as kube-apiserver's watch
    /// cache waits (<c>waitUntilFreshAndBlock</c>), then answers "Too large resource version". A server of an HA
    /// cluster a little behind the one a client read from catches up instead of failing the read.
    /// </summary>
    private async Task FreshAsync(long asked, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + FreshnessWait;
        while (asked > storage.Store.CurrentRevision)
        {
            if (time.GetUtcNow() >= deadline)
            {
                throw ApiErrors.TooLargeResourceVersion(asked, storage.Store.CurrentRevision);
            }

            await Task.Delay(FreshnessPoll, time, ct);
        }
    }

    private static long? ParseLong(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw ApiErrors.BadRequest($"invalid {name} \"{value}\": expected a non-negative integer");

    private static async Task<JsonObject> ReadBodyAsync(HttpContext context, CancellationToken ct)
    {
        var media = (context.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        if (media == ProtobufBody.MediaType && context.Request.Method is "POST" or "PUT")
        {
            return await ProtobufBody.ReadAsync(context.Request.Body, ct);
        }

        if (media is not ("application/json" or Patches.MergePatch or Patches.JsonPatch) && context.Request.Method != "PATCH")
        {
            throw ApiErrors.UnsupportedMediaType(media);
        }

        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            throw ApiErrors.BadRequest($"the request body is not valid JSON: {e.Message}");
        }

        return node as JsonObject ?? throw ApiErrors.BadRequest("the request body must be a JSON object");
    }

    /// <summary>A PATCH body: any JSON (its type decides which patch kinds accept it), else a 400.</summary>
    private static async Task<JsonNode> ReadPatchAsync(HttpContext context, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct) ?? throw ApiErrors.BadRequest("the patch is empty");
        }
        catch (JsonException e)
        {
            throw ApiErrors.BadRequest($"the patch is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Converts a list's items in place to the version <paramref name="resource"/> serves.</summary>
    private static void ServeItems(ApiResource resource, JsonObject list)
    {
        if (ServedVersions.Converts(resource) && list["items"] is JsonArray items)
        {
            for (var i = 0; i < items.Count; i++)
            {
                var stored = (JsonObject)items[i]!;
                items[i] = null;
                items[i] = ServedVersions.ToServed(resource, stored);
            }
        }
    }

    private static Task WriteAsync(HttpContext context, int status, JsonObject body) => JsonResponse.WriteAsync(context, status, body);
}
