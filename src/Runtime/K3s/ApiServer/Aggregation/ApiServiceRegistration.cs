using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Aggregation;

/// <summary>
/// kube-apiserver's APIService autoregistration and availability, in every server: keeps one local APIService per
/// served group version (<see cref="LocalApiServices"/>), creating missing ones and putting back the spec of a managed
/// one that was changed, deletes a CustomResourceDefinition version's APIService once the version is no longer served
/// (and, on the first pass, built-in ones this server no longer serves), and writes every APIService's
/// <c>Available</c> condition (<see cref="ApiServiceAvailability"/>). Woken by registry changes (CRDs) and APIService
/// changes, and every 30 s for services that appear or go. Servers racing on the same object lose a 409 and look again.
/// </summary>
internal sealed partial class ApiServiceRegistration : IAsyncDisposable
{
    public static readonly ResourceKind Kind = new(LocalApiServices.Group, "apiservices", false);
    private static readonly ResourceKind Services = new(string.Empty, "services", true);
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(30);

    private readonly ObjectStorage _storage;
    private readonly ResourceRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private ObjectCache? _apiServices;

    private ApiServiceRegistration(ObjectStorage storage, ResourceRegistry registry, TimeProvider time, ILogger logger)
    {
        (_storage, _registry, _time, _logger) = (storage, registry, time, logger);
        registry.Changed += Wake;
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    public static async Task<ApiServiceRegistration> StartAsync(ObjectStorage storage, ResourceRegistry registry, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var registration = new ApiServiceRegistration(storage, registry, time, logger);
        registration._apiServices = await ObjectCache.StartAsync(storage, Kind, logger, (_, _, _) => registration.Wake(), cancellationToken).ConfigureAwait(false);
        registration.Wake();
        return registration;
    }

    public async ValueTask DisposeAsync()
    {
        _registry.Changed -= Wake;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_apiServices is not null)
        {
            await _apiServices.DisposeAsync().ConfigureAwait(false);
        }

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
        var first = true;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(Resync, ct).ConfigureAwait(false);
                if (_apiServices is null)
                {
                    continue;
                }

                await SyncAsync(first, ct).ConfigureAwait(false);
                first = false;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiStatusException or Store.StoreException or IOException)
            {
                Log.SyncFailed(_logger, e.Message);
                Wake();
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task SyncAsync(bool onStart, CancellationToken ct)
    {
        var desired = LocalApiServices.Desired(_registry.All);
        var existing = _apiServices!.Items.Values.ToDictionary(a => a["metadata"]?["name"]?.GetValue<string>() ?? string.Empty, StringComparer.Ordinal);
        foreach (var (name, wanted) in desired)
        {
            if (!existing.TryGetValue(name, out var current))
            {
                await CreateAsync(name, wanted, ct).ConfigureAwait(false);
            }
            else if (LocalApiServices.Automanaged(current) is not null && !JsonNode.DeepEquals(current["spec"], wanted["spec"]))
            {
                await UpdateAsync(name, obj =>
                {
                    obj["spec"] = wanted["spec"]!.DeepClone();
                    obj["status"] = ApiServiceAvailability.Status(obj, serviceExists: false, _time.GetUtcNow());
                    return obj;
                }, ct).ConfigureAwait(false);
            }
        }

        foreach (var (name, current) in existing)
        {
            var managed = LocalApiServices.Automanaged(current);
            if (!desired.ContainsKey(name) && (managed == LocalApiServices.WhileServed || (onStart && managed == LocalApiServices.OnStart)))
            {
                await DeleteAsync(name, ct).ConfigureAwait(false);
                continue;
            }

            var serviceExists = current["spec"]?["service"] is JsonObject service && await ServiceExistsAsync(service, ct).ConfigureAwait(false);
            if (!JsonNode.DeepEquals(current["status"], ApiServiceAvailability.Status(current, serviceExists, _time.GetUtcNow())))
            {
                await UpdateAsync(name, obj =>
                {
                    obj["status"] = ApiServiceAvailability.Status(obj, serviceExists, _time.GetUtcNow());
                    return obj;
                }, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task CreateAsync(string name, JsonObject wanted, CancellationToken ct)
    {
        var obj = (JsonObject)wanted.DeepClone();
        ObjectDefaults.PrepareCreate((JsonObject)obj["metadata"]!, _time.GetUtcNow(), hasSpec: false);
        obj["status"] = ApiServiceAvailability.Status(obj, serviceExists: false, _time.GetUtcNow());
        try
        {
            await _storage.CreateAsync(Kind, string.Empty, name, obj, ct).ConfigureAwait(false);
            Log.Registered(_logger, name);
        }
        catch (ApiStatusException e) when (e.Code == 409)
        {
            // Another server registered it first.
        }
    }

    private async Task UpdateAsync(string name, Func<JsonObject, JsonObject> change, CancellationToken ct)
    {
        try
        {
            await _storage.UpdateAsync(Kind, string.Empty, name, null, change, ct).ConfigureAwait(false);
        }
        catch (ApiStatusException e) when (e.Code is 404 or 409)
        {
            // Deleted or changed meanwhile: the next pass sees the new state.
        }
    }

    private async Task DeleteAsync(string name, CancellationToken ct)
    {
        try
        {
            await _storage.DeleteAsync(Kind, string.Empty, name, null, ct).ConfigureAwait(false);
            Log.Unregistered(_logger, name);
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            // Another server removed it first.
        }
    }

    private async Task<bool> ServiceExistsAsync(JsonObject service, CancellationToken ct)
    {
        try
        {
            await _storage.GetAsync(Services, service["namespace"]?.GetValue<string>() ?? string.Empty, service["name"]?.GetValue<string>() ?? string.Empty, ct).ConfigureAwait(false);
            return true;
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            return false;
        }
    }
}
