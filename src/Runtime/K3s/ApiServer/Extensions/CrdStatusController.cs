using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Extensions;

/// <summary>
/// Writes a CustomResourceDefinition's status as kube-apiserver's apiextensions controllers do, once the registry
/// serves it: <c>acceptedNames</c>, <c>storedVersions</c> and the <c>NamesAccepted</c> and <c>Established</c>
/// conditions (<c>kubectl wait --for condition=established</c> waits for the latter). A definition whose names
/// conflict gets NamesAccepted False and is not established. Runs on its own loop, woken by registry changes.
/// </summary>
internal sealed partial class CrdStatusController : IAsyncDisposable
{
    private readonly ObjectStorage _storage;
    private readonly ResourceRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public CrdStatusController(ObjectStorage storage, ResourceRegistry registry, TimeProvider time, ILogger logger)
    {
        (_storage, _registry, _time, _logger) = (storage, registry, time, logger);
        registry.Changed += Wake;
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        Wake();
    }

    public async ValueTask DisposeAsync()
    {
        _registry.Changed -= Wake;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(ct).ConfigureAwait(false);
                var (definitions, conflicting) = _registry.CustomDefinitions;
                foreach (var definition in definitions)
                {
                    var name = definition["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
                    var accepted = !conflicting.Contains(name);
                    if (!JsonNode.DeepEquals(definition["status"], Status(definition, accepted, definition["status"] as JsonObject)))
                    {
                        await UpdateAsync(name, accepted, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiStatusException or Store.StoreException or IOException)
            {
                Log.StatusFailed(_logger, e.Message);
                Wake();
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task UpdateAsync(string name, bool accepted, CancellationToken ct)
    {
        try
        {
            await _storage.UpdateAsync(CrdResources.Kind, string.Empty, name, null, current =>
            {
                current["status"] = Status(current, accepted, current["status"] as JsonObject);
                return current;
            }, ct).ConfigureAwait(false);
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            // Deleted meanwhile.
        }
    }

    /// <summary>The status the definition should have; conditions keep their transition times while unchanged.</summary>
    private JsonObject Status(JsonObject definition, bool accepted, JsonObject? current)
    {
        var names = definition["spec"]?["names"]?.DeepClone() as JsonObject ?? [];
        var storage = (definition["spec"]?["versions"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(v => v["storage"] is JsonValue s && s.TryGetValue<bool>(out var b) && b)?["name"]?.GetValue<string>();
        var stored = (current?["storedVersions"] as JsonArray)?.Select(v => v?.GetValue<string>() ?? string.Empty).ToList() ?? [];
        if (storage is not null && !stored.Contains(storage))
        {
            stored.Add(storage);
        }

        var conditions = new JsonArray(
            Condition(current, "NamesAccepted", accepted, accepted ? "NoConflicts" : "NameConflict", accepted ? "no conflicts found" : "the plural or kind is already in use in this group"),
            Condition(current, "Established", accepted, accepted ? "InitialNamesAccepted" : "NotAccepted", accepted ? "the initial names have been accepted" : "not all names are accepted"));
        return new JsonObject
        {
            ["conditions"] = conditions,
            ["acceptedNames"] = accepted ? names : current?["acceptedNames"]?.DeepClone() ?? new JsonObject { ["plural"] = string.Empty, ["kind"] = string.Empty },
            ["storedVersions"] = new JsonArray([.. stored.Select(v => (JsonNode)JsonValue.Create(v))]),
        };
    }

    private JsonObject Condition(JsonObject? current, string type, bool value, string reason, string message)
    {
        var status = value ? "True" : "False";
        var previous = (current?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);
        var since = previous?["status"]?.GetValue<string>() == status && previous["lastTransitionTime"] is { } t ? t.DeepClone() : ObjectDefaults.Timestamp(_time.GetUtcNow());
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["lastTransitionTime"] = since,
            ["reason"] = reason,
            ["message"] = message,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "could not write a CustomResourceDefinition's status: {Error}")]
        public static partial void StatusFailed(ILogger logger, string error);
    }
}
