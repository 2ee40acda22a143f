using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Resources.Tables;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

internal sealed partial class ResourceHandler
{
    /// <summary>kube-apiserver's --min-request-timeout: a watch without timeoutSeconds ends after this long (its clients re-watch).</summary>
    private static readonly TimeSpan DefaultWatchTimeout = TimeSpan.FromMinutes(30);

    /// <summary>
    /// A watch as a stream of JSON lines <c>{"type":...,"object":...}</c>. Without a resourceVersion (or with "0") it
    /// starts with ADDED events for the current objects, then reports changes after the list's revision; with one, it
    /// reports changes after it. Selectors turn a change that leaves the selection into DELETED and one that enters it
    /// into ADDED, as kube-apiserver's filtered watches do.
    /// </summary>
    private async Task WatchAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, TableRequest? table, CancellationToken ct)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], resource.Kind);
        var timeout = ParseLong(query["timeoutSeconds"], "timeoutSeconds") is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultWatchTimeout;
        var version = query["resourceVersion"].ToString();
        var name = info.Name.Length > 0 ? info.Name : null;
        bool Matches(JsonObject o) => labels.Matches(o) && fields.Matches(o) && (name is null || o["metadata"]?["name"]?.GetValue<string>() == name);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(ct);

        long after;
        if (version is "" or "0")
        {
            var initial = await storage.ListAsync(kind, info.Namespace, 0, null, 0, ct);
            after = initial.ResourceVersion;
            foreach (var item in initial.Items.Where(Matches))
            {
                await SendAsync(context, "ADDED", item, table, resource.Name, deadline.Token);
            }
        }
        else
        {
            after = ParseLong(version, "resourceVersion")!.Value;
        }

        try
        {
            await foreach (var e in storage.WatchAsync(kind, info.Namespace, name, after, deadline.Token))
            {
                if (e.Type == "ERROR")
                {
                    await SendAsync(context, e.Type, e.Object, table, resource.Name, deadline.Token);
                    return;
                }

                var now = Matches(e.Object);
                var before = e.Previous is { } previous && Matches(previous);
                var type = e.Type switch
                {
                    "DELETED" => now ? "DELETED" : null,
                    _ when now && (e.Type == "ADDED" || !before) => "ADDED",
                    _ when now => "MODIFIED",
                    _ when before => "DELETED",
                    _ => null,
                };
                if (type is not null)
                {
                    await SendAsync(context, type, e.Object, table, resource.Name, deadline.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // timeoutSeconds passed: end the stream cleanly; the client re-watches from its last revision.
        }
    }

    private async Task SendAsync(HttpContext context, string type, JsonObject obj, TableRequest? table, string resource, CancellationToken ct)
    {
        // With a table (kubectl get -w), every event but ERROR carries a one-row table, columns included.
        var payload = table is null || type == "ERROR" ? obj.DeepClone() : TableConverter.Convert(table, resource, [obj], new JsonObject { ["resourceVersion"] = obj["metadata"]?["resourceVersion"]?.DeepClone() }, time.GetUtcNow());
        var line = new JsonObject { ["type"] = type, ["object"] = payload }.ToJsonString() + "\n";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static ApiStatusException NamespaceNotFound(string ns) => ApiErrors.NotFound(string.Empty, "namespaces", ns);
}
