using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Resources.Tables;
using K3sLab.K3s.ApiServer.Resources.Versions;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

internal sealed partial class ResourceHandler
{
    /// <summary>
    /// kube-apiserver's --min-request-timeout: a watch without timeoutSeconds (or with 0) ends after between one and
    /// two times this long, drawn per watch as there, so that watches started together do not all end together.
    /// </summary>
    private static readonly TimeSpan MinRequestTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The longest timeoutSeconds honoured (a cancellation timer's range is about 49 days); longer asks get this.</summary>
    private static readonly TimeSpan LongestWatch = TimeSpan.FromDays(30);

    /// <summary>kube-apiserver's bookmark cadence: about once a minute, and once more shortly before the watch times out.</summary>
    private static readonly TimeSpan BookmarkEvery = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PreTimeoutMargin = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A watch as a stream of JSON lines <c>{"type":...,"object":...}</c>. With <c>allowWatchBookmarks</c> it also
    /// sends BOOKMARK events (kind, apiVersion and a resourceVersion every earlier event is at or below) about once a
    /// minute and shortly before it times out; with <c>sendInitialEvents=true</c> the initial ADDED events end with a
    /// bookmark annotated <c>k8s.io/initial-events-end</c>, as watch-list clients expect. Without a resourceVersion (or with "0") it
    /// starts with ADDED events for the current objects, then reports changes after the list's revision; with one, it
    /// reports changes after it. Selectors turn a change that leaves the selection into DELETED and one that enters it
    /// into ADDED, as kube-apiserver's filtered watches do.
    /// </summary>
    private async Task WatchAsync(HttpContext context, RequestInfo info, ApiResource resource, ResourceKind kind, TableRequest? table, CancellationToken ct)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"], resource.Kind);
        var timeout = WatchTimeout(ParseLong(query["timeoutSeconds"], "timeoutSeconds"));
        var version = query["resourceVersion"].ToString();

        // Malformed parameters are a 400 before the stream starts, not a stream that breaks after its 200.
        var asked = version is "" or "0" ? 0 : ParseLong(version, "resourceVersion")!.Value;
        var name = info.Name.Length > 0 ? info.Name : null;
        bool Matches(JsonObject o) => labels.Matches(o) && fields.Matches(o) && (name is null || o["metadata"]?["name"]?.GetValue<string>() == name);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(ct);

        // Headers go out now, as kube-apiserver flushes them: a client (kubectl wait, informers) may wait for the
        // watch to be established before acting on what its list showed.
        await context.Response.Body.FlushAsync(ct);

        var bookmarks = RequestInfo.IsTrue(query["allowWatchBookmarks"]);
        var initialEvents = query["sendInitialEvents"].ToString() switch
        {
            "" => version is "" or "0",
            var flag => RequestInfo.IsTrue(flag),
        };
        long after;
        if (initialEvents)
        {
            var initial = await storage.ListAsync(kind, info.Namespace, 0, null, asked, ct);
            after = initial.ResourceVersion;
            foreach (var item in initial.Items.Where(Matches))
            {
                await SendAsync(context, "ADDED", Served(resource, item, table), table, Columns(resource), deadline.Token);
            }

            if (bookmarks && query["sendInitialEvents"].ToString().Length > 0)
            {
                // The end of the initial state, as a watch-list client waits for it.
                await SendAsync(context, "BOOKMARK", Bookmark(resource, after, initialEventsEnd: true), null, [], deadline.Token);
            }
        }
        else
        {
            // sendInitialEvents=false without a resourceVersion: changes from now on.
            after = asked > 0 ? asked : storage.Store.CurrentRevision;
        }

        var progress = bookmarks ? Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite }) : null;
        using var ticking = new CancellationTokenSource();
        var ticks = progress is null ? Task.CompletedTask : TickAsync(progress.Writer, timeout, ticking.Token);
        try
        {
            if (table is null && !ServedVersions.Converts(resource) && string.IsNullOrEmpty(query["labelSelector"]) && string.IsNullOrEmpty(query["fieldSelector"]))
            {
                await WatchStoredAsync(context, resource, kind, info.Namespace, name, after, progress?.Reader, deadline.Token);
                return;
            }

            await foreach (var e in storage.WatchAsync(kind, info.Namespace, name, after, progress?.Reader, deadline.Token))
            {
                if (e.Type == "ERROR")
                {
                    await SendAsync(context, e.Type, e.Object, table, Columns(resource), deadline.Token);
                    return;
                }

                if (e.Type == "BOOKMARK")
                {
                    await SendAsync(context, e.Type, Bookmark(resource, long.Parse(e.Object["metadata"]!["resourceVersion"]!.GetValue<string>(), CultureInfo.InvariantCulture), initialEventsEnd: false), null, [], deadline.Token);
                    continue;
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
                    await SendAsync(context, type, Served(resource, e.Object, table), table, Columns(resource), deadline.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // timeoutSeconds passed: end the stream cleanly; the client re-watches from its last revision.
        }
        finally
        {
            await ticking.CancelAsync();
            await ticks;
        }
    }

    private static TimeSpan WatchTimeout(long? seconds) => seconds is > 0
        ? TimeSpan.FromSeconds(Math.Min(seconds.Value, (long)LongestWatch.TotalSeconds))
        : MinRequestTimeout * (1 + Random.Shared.NextDouble());

    /// <summary>
    /// Asks for a bookmark once a minute and a last one 2 s before <paramref name="timeout"/>, as kube-apiserver's
    /// watch cache schedules them; a watch of 2 s or less gets no pre-timeout bookmark, as there.
    /// </summary>
    private async Task TickAsync(ChannelWriter<bool> progress, TimeSpan timeout, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var last = timeout > PreTimeoutMargin ? timeout - PreTimeoutMargin : TimeSpan.MaxValue;
        try
        {
            while (true)
            {
                var elapsed = time.GetUtcNow() - started;
                var next = TimeSpan.FromTicks(Math.Min(BookmarkEvery.Ticks * ((elapsed.Ticks / BookmarkEvery.Ticks) + 1), last > elapsed ? last.Ticks : long.MaxValue));
                if (next == TimeSpan.MaxValue)
                {
                    return;
                }

                await Task.Delay(next - elapsed, time, ct);
                progress.TryWrite(true);
                if (next == last)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The watch ended.
        }
    }

    private static JsonObject Bookmark(ApiResource resource, long revision, bool initialEventsEnd)
    {
        var metadata = new JsonObject { ["resourceVersion"] = Invariant(revision) };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        return new JsonObject { ["kind"] = resource.Kind, ["apiVersion"] = resource.GroupVersion, ["metadata"] = metadata };
    }

    /// <summary>An object as the watch sends it: in the version watched, or stored as it is for a Table's row.</summary>
    private static JsonObject Served(ApiResource resource, JsonObject obj, TableRequest? table) =>
        table is null ? ServedVersions.ToServed(resource, obj) : obj;

    private async Task SendAsync(HttpContext context, string type, JsonObject obj, TableRequest? table, IReadOnlyList<TableColumn> columns, CancellationToken ct)
    {
        // With a table (kubectl get -w), every event but ERROR carries a one-row table, columns included.
        var payload = table is null || type == "ERROR" ? obj : TableConverter.Convert(table, columns, [obj], new JsonObject { ["resourceVersion"] = obj["metadata"]?["resourceVersion"]?.DeepClone() }, time.GetUtcNow());

        var line = new ArrayBufferWriter<byte>(1024);
        WriteEventLine(line, type, payload);
        await context.Response.Body.WriteAsync(line.WrittenMemory, ct);
        await context.Response.Body.FlushAsync(ct);
    }

    /// <summary>
    /// One watch event as a JSON line, written straight from the object: no copy of it under a new parent, no string
    /// on the way to UTF-8.
    /// </summary>
    private static void WriteEventLine(IBufferWriter<byte> output, string type, JsonObject payload)
    {
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WritePropertyName("object");
            payload.WriteTo(json);
            json.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static ApiStatusException NamespaceNotFound(string ns) => ApiErrors.NotFound(string.Empty, "namespaces", ns);
}
