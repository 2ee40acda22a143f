using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Resources.Tables;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// <c>/apis/metrics.k8s.io/v1beta1</c>, as metrics-server serves it behind kube-apiserver: get and list of
/// NodeMetrics and PodMetrics, for the Nodes and Pods that exist now (their labels copied in, label and field
/// selectors judged on the Node or Pod, as metrics-server's listers do), leaving out those without a rate yet and
/// pods not Running. An existing name without metrics is metrics-server's 404 (<c>nodemetrics.metrics.k8s.io "n" not
/// found</c>, <c>podmetrics.metrics.k8s.io "ns/p" not found</c>); a Node or Pod that does not exist is its lister's
/// (<c>node "n" not found</c>, <c>pod "p" not found</c>); other verbs are 405. Tables are metrics-server's (Name,
/// cpu, memory, Window).
/// </summary>
internal static class MetricsEndpoint
{
    private static readonly ResourceKind Nodes = new(string.Empty, "nodes", false);
    private static readonly ResourceKind Pods = new(string.Empty, "pods", true);

    public static async Task HandleAsync(HttpContext context, RequestInfo info, MetricsStore store, ObjectStorage storage, TimeProvider time)
    {
        if (info.Subresource.Length > 0 || info.Verb is not ("get" or "list"))
        {
            throw ApiErrors.MethodNotSupported(MetricsDocuments.Group, info.Subresource.Length > 0 ? $"{info.Resource}/{info.Subresource}" : info.Resource, info.Verb);
        }

        var ct = context.RequestAborted;
        var now = time.GetUtcNow();
        var nodes = info.Resource == "nodes";
        var table = TableRequest.From(context.Request.Headers.Accept, context.Request.Query["includeObject"]);
        if (info.Verb == "get")
        {
            var one = nodes ? await NodeAsync(info.Name, store, storage, now, ct) : await PodAsync(info.Namespace, info.Name, store, storage, now, ct);
            await JsonResponse.WriteAsync(context, 200, table is null ? one : TableConverter.Convert(table, MetricsTable.Columns, [one], null, now));
            return;
        }

        var labels = LabelSelector.Parse(context.Request.Query["labelSelector"]);
        var fields = FieldSelector.Parse(context.Request.Query["fieldSelector"], nodes ? "Node" : "Pod");
        var owners = (await storage.ListAsync(nodes ? Nodes : Pods, info.Namespace, 0, null, 0, ct)).Items.Where(o => labels.Matches(o) && fields.Matches(o) && (nodes || Running(o)));
        var items = new List<JsonObject>();
        foreach (var owner in owners)
        {
            var name = owner["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
            var ownerLabels = owner["metadata"]?["labels"] as JsonObject;
            if (nodes && store.ByNode.GetValueOrDefault(name)?.Usage is { } usage)
            {
                items.Add(MetricsDocuments.Node(name, ownerLabels, usage, now));
            }
            else if (!nodes && store.Pod(owner["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty, name) is { } pod)
            {
                items.Add(MetricsDocuments.Pod(pod, ownerLabels, now));
            }
        }

        await JsonResponse.WriteAsync(context, 200, table is not null
            ? TableConverter.Convert(table, MetricsTable.Columns, items, new JsonObject(), now)
            : MetricsDocuments.List(nodes ? "NodeMetricsList" : "PodMetricsList", items));
    }

    /// <summary>metrics-server reports only pods in the Running phase.</summary>
    private static bool Running(JsonObject pod) => pod["status"]?["phase"]?.GetValue<string>() == "Running";

    private static async Task<JsonObject> NodeAsync(string name, MetricsStore store, ObjectStorage storage, DateTimeOffset now, CancellationToken ct)
    {
        // As metrics-server's lister: no such Node is the lister's own 404; a Node without metrics is nodemetrics'.
        var node = await storage.TryGetLocalAsync(Nodes, string.Empty, name, ct) ?? throw ApiErrors.NotFound(string.Empty, "node", name);
        return store.ByNode.GetValueOrDefault(name)?.Usage is { } usage
            ? MetricsDocuments.Node(name, node.Object["metadata"]?["labels"] as JsonObject, usage, now)
            : throw ApiErrors.NotFound(MetricsDocuments.Group, "nodemetrics", name);
    }

    private static async Task<JsonObject> PodAsync(string ns, string name, MetricsStore store, ObjectStorage storage, DateTimeOffset now, CancellationToken ct)
    {
        var pod = await storage.TryGetLocalAsync(Pods, ns, name, ct) ?? throw ApiErrors.NotFound(string.Empty, "pod", name);
        return Running(pod.Object) && store.Pod(ns, name) is { } point
            ? MetricsDocuments.Pod(point, pod.Object["metadata"]?["labels"] as JsonObject, now)
            : throw ApiErrors.NotFound(MetricsDocuments.Group, "podmetrics", $"{ns}/{name}");
    }
}
