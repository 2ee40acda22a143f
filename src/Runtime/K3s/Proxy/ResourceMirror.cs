using System.Net;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Proxy;

/// <summary>
/// A local copy of one collection of the API (list, then watch from the list's resourceVersion; resume after a
/// dropped watch, list again after 410 Gone), as an informer keeps one. <c>changed</c> is called after
/// every change and after each list; <see cref="Snapshot"/> may be read from any thread.
/// </summary>
internal sealed class ResourceMirror(ApiClient api, string path, Action changed, TimeProvider time, Action<string> failed)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);

    /// <summary>Whether the first list has arrived.</summary>
    public bool Synced { get; private set; }

    public IReadOnlyList<JsonObject> Snapshot()
    {
        lock (_lock)
        {
            return [.. _objects.Values];
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        string? version = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (version is null)
                {
                    var list = await api.GetAsync(path, ct) ?? [];
                    version = list.Obj("metadata").Str("resourceVersion") ?? "0";
                    lock (_lock)
                    {
                        _objects.Clear();
                        foreach (var item in list.Arr("items").Items().Select(i => i.Item as JsonObject).OfType<JsonObject>())
                        {
                            _objects[Key(item)] = item;
                        }
                    }

                    Synced = true;
                    changed();
                }

                await foreach (var (type, obj) in api.WatchAsync($"{path}?watch=true&allowWatchBookmarks=true&resourceVersion={version}&timeoutSeconds=300", ct))
                {
                    if (type == "ERROR")
                    {
                        version = obj.Long("code") == (int)HttpStatusCode.Gone ? null : version;
                        break;
                    }

                    version = obj.Obj("metadata").Str("resourceVersion") ?? version;
                    if (type is "ADDED" or "MODIFIED" or "DELETED")
                    {
                        lock (_lock)
                        {
                            if (type == "DELETED")
                            {
                                _objects.Remove(Key(obj));
                            }
                            else
                            {
                                _objects[Key(obj)] = obj;
                            }
                        }

                        changed();
                    }
                }
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Gone)
            {
                version = null;
            }
            catch (Exception e) when (e is HttpRequestException or ApiException or IOException or System.Text.Json.JsonException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                failed($"{path}: {e.Message}");
                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }
        }
    }

    private static string Key(JsonObject obj) => $"{obj.Obj("metadata").Str("namespace")}/{obj.Obj("metadata").Str("name")}";
}
