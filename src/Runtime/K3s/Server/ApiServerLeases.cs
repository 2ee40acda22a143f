using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Server;

/// <summary>
/// kube-apiserver's lease endpoint reconciler, which lets several servers share the <c>default/kubernetes</c>
/// Service: each server keeps the datastore key <c>/registry/masterleases/&lt;its address&gt;</c> alive under a
/// 15 s lease (renewed every 10 s) and writes the addresses of every live key into the <c>kubernetes</c> Endpoints
/// and EndpointSlice, so a dead server drops out within the lease's TTL and agents' load balancers learn the
/// servers from it (at once: every server watches the leases, see ApiServerLeases.Watch.cs). A server that shuts down removes its key and itself at once.
/// </summary>
internal sealed partial class ApiServerLeases : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private const long TtlSeconds = 15;
    private const string Prefix = "/registry/masterleases/";
    private static readonly ResourceKind Endpoints = new(string.Empty, "endpoints", true);
    private static readonly ResourceKind EndpointSlices = new("discovery.k8s.io", "endpointslices", true);

    private readonly ObjectStorage _storage;
    private readonly string _address;
    private readonly int _port;

    /// <summary>What this server last stored in <c>k3s/apiaddresses</c>; null until it has stored anything.</summary>
    private string? _storedApiAddresses;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Where else the live addresses go (the cluster DNS's endpoints), after the <c>kubernetes</c> ones.</summary>
    private readonly Func<IReadOnlyList<string>, CancellationToken, Task>? _alsoPublish;
    private long _lease;

    private ApiServerLeases(ObjectStorage storage, string address, int port, TimeProvider time, ILogger logger, Func<IReadOnlyList<string>, CancellationToken, Task>? alsoPublish)
    {
        _alsoPublish = alsoPublish;
        _storage = storage;
        _address = address;
        _port = port;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    private IRevisionedStore Store => _storage.Store;

    /// <summary>Takes this server's lease and reconciles once before returning, then keeps both current.</summary>
    public static async Task<ApiServerLeases> StartAsync(ObjectStorage storage, string address, int port, TimeProvider time, ILogger logger, CancellationToken cancellationToken, Func<IReadOnlyList<string>, CancellationToken, Task>? alsoPublish = null)
    {
        var leases = new ApiServerLeases(storage, address, port, time, logger, alsoPublish);
        try
        {
            await leases.RenewAndReconcileAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ApiStatusException e) when (e.Code == 409)
        {
            // Servers kept writing the same objects: the lease is held, and the next tick reconciles.
            Log.ReconcileFailed(logger, e.Message);
        }

        return leases;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        try
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await Store.TxnAsync(TxnRequest.Of(new DeleteOp(KeyRange.Single(Key(_address)))), grace.Token).ConfigureAwait(false);
            await ReconcileAsync(grace.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StoreException or ApiStatusException or OperationCanceledException)
        {
            // The lease expires on its own; the next server's reconcile drops this address.
            Log.ReleaseFailed(_logger, e.Message);
        }

        _stop.Dispose();
    }

    /// <summary>The <c>host:port</c> of every server in the <c>kubernetes</c> Endpoints (for <c>/v1-k3s/apiservers</c>).</summary>
    public static async Task<IReadOnlyList<string>> AddressesAsync(ObjectStorage storage, CancellationToken cancellationToken)
    {
        var endpoints = await storage.GetAsync(Endpoints, "default", "kubernetes", cancellationToken).ConfigureAwait(false);
        var found = new List<string>();
        foreach (var subset in (endpoints.Object["subsets"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var port = (subset["ports"] as JsonArray)?.OfType<JsonObject>().Select(p => p["port"]?.GetValue<int>()).FirstOrDefault() ?? 6443;
            foreach (var address in (subset["addresses"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (address["ip"]?.GetValue<string>() is { } ip)
                {
                    found.Add(ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]:{port}" : $"{ip}:{port}");
                }
            }
        }

        return found;
    }

    private static byte[] Key(string address) => Encoding.UTF8.GetBytes(Prefix + address);

    /// <summary>Renews and reconciles every <see cref="Interval"/>, and reconciles at once when the leases change (ApiServerLeases.Watch.cs).</summary>
    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval, _time);
        var watching = Task.Run(WatchLeasesAsync);
        try
        {
            var tick = timer.WaitForNextTickAsync(_stop.Token).AsTask();
            var changed = _leasesChanged.Reader.WaitToReadAsync(_stop.Token).AsTask();
            while (true)
            {
                if (await Task.WhenAny(tick, changed).ConfigureAwait(false) == tick)
                {
                    if (!await tick.ConfigureAwait(false))
                    {
                        break;
                    }

                    tick = timer.WaitForNextTickAsync(_stop.Token).AsTask();
                    await TryAsync(RenewAndReconcileAsync).ConfigureAwait(false);
                }
                else
                {
                    await changed.ConfigureAwait(false);
                    _leasesChanged.Reader.TryRead(out _);
                    changed = _leasesChanged.Reader.WaitToReadAsync(_stop.Token).AsTask();
                    await TryAsync(ReconcileAsync).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }

        await watching.ConfigureAwait(false);
    }

    private async Task TryAsync(Func<CancellationToken, Task> step)
    {
        try
        {
            await step(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StoreException or ApiStatusException)
        {
            // No quorum or a conflicting writer: try again on the next tick or change, as kube-apiserver does.
            Log.ReconcileFailed(_logger, e.Message);
        }
    }

    private async Task RenewAndReconcileAsync(CancellationToken cancellationToken)
    {
        var renewed = _lease != 0;
        if (renewed)
        {
            try
            {
                await Store.KeepAliveAsync(_lease, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreException e) when (e.Error == StoreError.LeaseNotFound)
            {
                renewed = false;
            }
        }

        if (!renewed)
        {
            _lease = (await Store.GrantLeaseAsync(0, TtlSeconds, cancellationToken).ConfigureAwait(false)).Id;
            await Store.TxnAsync(TxnRequest.Of(new PutOp(Key(_address), Encoding.UTF8.GetBytes(_address), _lease)), cancellationToken).ConfigureAwait(false);
        }

        await ReconcileAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps <c>k3s/apiaddresses</c> (read by etcd-only servers) equal to the live addresses, writing only when they
    /// differ from what this server stored last: a steady cluster adds no datastore request to each tick. (Reading
    /// the key back every tick put a linearizable read in the lease loop and slowed API failover after a datastore
    /// leader's death from about 1.1 s to 1.8 s, measured with the agentlb suite.)
    /// </summary>
    private async Task StoreApiAddressesAsync(IReadOnlyList<string> addresses, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> withPort = [.. addresses.Select(a => a.Contains(':', StringComparison.Ordinal) ? $"[{a}]:{_port}" : $"{a}:{_port}")];
        var rendered = ApiAddressKey.Render(withPort);
        if (rendered == _storedApiAddresses)
        {
            return;
        }

        await ApiAddressKey.PutAsync(Store, rendered, cancellationToken).ConfigureAwait(false);
        _storedApiAddresses = rendered;
    }

    /// <summary>
    /// Writes the live addresses into the Endpoints and the EndpointSlice. Every server reconciles on its own tick, so
    /// two may write at once: a conflict re-reads the leases and tries again (a few times; then the next tick does).
    /// </summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var live = await Store.RangeAsync(new RangeQuery(KeyRange.Prefix(Encoding.UTF8.GetBytes(Prefix))), cancellationToken).ConfigureAwait(false);
                var addresses = live.Kvs.Select(kv => Encoding.UTF8.GetString(kv.Value)).Where(a => IPAddress.TryParse(a, out _)).Order(StringComparer.Ordinal).ToList();
                await UpdateEndpointsAsync(addresses, cancellationToken).ConfigureAwait(false);
                await UpdateSliceAsync(addresses, cancellationToken).ConfigureAwait(false);
                if (_alsoPublish is not null)
                {
                    await _alsoPublish(addresses, cancellationToken).ConfigureAwait(false);
                }
                await StoreApiAddressesAsync(addresses, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ApiStatusException e) when (e.Code == 409 && attempt < 5)
            {
                // Another server wrote between our read and our write.
            }
        }
    }

    private async Task UpdateEndpointsAsync(List<string> addresses, CancellationToken cancellationToken)
    {
        var subsets = new JsonArray();
        if (addresses.Count > 0)
        {
            var list = new JsonArray();
            foreach (var a in addresses)
            {
                list.Add((JsonNode)new JsonObject { ["ip"] = a });
            }

            subsets.Add((JsonNode)new JsonObject
            {
                ["addresses"] = list,
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = _port, ["protocol"] = "TCP" }),
            });
        }

        var current = await _storage.GetAsync(Endpoints, "default", "kubernetes", cancellationToken).ConfigureAwait(false);
        if (JsonNode.DeepEquals(current.Object["subsets"], subsets))
        {
            return;
        }

        await _storage.UpdateAsync(Endpoints, "default", "kubernetes", current.ResourceVersion, obj =>
        {
            obj["subsets"] = subsets.DeepClone();
            return obj;
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task UpdateSliceAsync(List<string> addresses, CancellationToken cancellationToken)
    {
        var endpoints = new JsonArray();
        foreach (var a in addresses)
        {
            endpoints.Add((JsonNode)new JsonObject
            {
                ["addresses"] = new JsonArray(a),
                ["conditions"] = new JsonObject { ["ready"] = true },
            });
        }

        var ports = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = _port, ["protocol"] = "TCP" });
        StoredObject current;
        try
        {
            current = await _storage.GetAsync(EndpointSlices, "default", "kubernetes", cancellationToken).ConfigureAwait(false);
        }
        catch (ApiStatusException e) when (e.Code == 404)
        {
            var metadata = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                // No managed-by label, as kube-apiserver writes it: the endpointslice controller deletes the slices it
                // manages of a Service without a selector, and this one is the API servers' own.
                ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "kubernetes" },
            };
            ObjectDefaults.PrepareCreate(metadata, _time.GetUtcNow(), hasSpec: false);
            var slice = new JsonObject
            {
                ["kind"] = "EndpointSlice",
                ["apiVersion"] = "discovery.k8s.io/v1",
                ["metadata"] = metadata,
                ["addressType"] = "IPv4",
                ["endpoints"] = endpoints,
                ["ports"] = ports,
            };
            try
            {
                await _storage.CreateAsync(EndpointSlices, "default", "kubernetes", slice, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiStatusException conflict) when (conflict.Code == 409)
            {
                // Another server created it first; the next tick reconciles its contents.
            }

            return;
        }

        var labels = new JsonObject { ["kubernetes.io/service-name"] = "kubernetes" };
        if (JsonNode.DeepEquals(current.Object["endpoints"], endpoints) && JsonNode.DeepEquals(current.Object["metadata"]?["labels"], labels))
        {
            return;
        }

        await _storage.UpdateAsync(EndpointSlices, "default", "kubernetes", current.ResourceVersion, obj =>
        {
            obj["endpoints"] = endpoints.DeepClone();
            obj["ports"] = ports.DeepClone();
            if (obj["metadata"] is JsonObject metadata)
            {
                metadata["labels"] = labels.DeepClone();
            }

            return obj;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Could not renew this server's address in the kubernetes endpoints: {Reason}")]
        public static partial void ReconcileFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Could not remove this server's address from the kubernetes endpoints at shutdown: {Reason}")]
        public static partial void ReleaseFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "The watch of the API servers' leases ended ({Reason}); watching again in a second, and the 10 s reconcile goes on meanwhile")]
        public static partial void WatchFailed(ILogger logger, string reason);
    }
}
