using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ClusterDns;

/// <summary>
/// The cluster's names as the DNS serves them: caches of Services, EndpointSlices and Nodes kept from the server's
/// own storage (list, then watch), and the <see cref="ClusterDnsModel"/> built from them again on the first query
/// after any change. Thread-safe.
/// </summary>
internal sealed class ClusterRecords : IAsyncDisposable
{
    private readonly ObjectCache _services;
    private readonly ObjectCache _slices;
    private readonly ObjectCache _nodes;
    private readonly string _domain;
    private readonly uint _firstSerial;
    private readonly Lock _lock = new();
    private readonly System.Runtime.CompilerServices.StrongBox<int> _version;
    private int _builtVersion = -1;
    private ClusterDnsModel? _model;

    private ClusterRecords(ObjectCache services, ObjectCache slices, ObjectCache nodes, System.Runtime.CompilerServices.StrongBox<int> version, string domain, uint firstSerial) =>
        (_services, _slices, _nodes, _version, _domain, _firstSerial) = (services, slices, nodes, version, domain, firstSerial);

    /// <summary>Lists the three kinds (the records are complete when this returns) and keeps watching them.</summary>
    public static async Task<ClusterRecords> StartAsync(ObjectStorage storage, string domain, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        var version = new System.Runtime.CompilerServices.StrongBox<int>();
        void Changed(string key, System.Text.Json.Nodes.JsonObject? before, System.Text.Json.Nodes.JsonObject? after) => Interlocked.Increment(ref version.Value);

        var started = new List<ObjectCache>();
        try
        {
            foreach (var kind in new[] { new ResourceKind(string.Empty, "services", true), new ResourceKind("discovery.k8s.io", "endpointslices", true), new ResourceKind(string.Empty, "nodes", false) })
            {
                started.Add(await ObjectCache.StartAsync(storage, kind, logger, Changed, ct));
            }
        }
        catch
        {
            foreach (var cache in started)
            {
                await cache.DisposeAsync();
            }

            throw;
        }

        return new ClusterRecords(started[0], started[1], started[2], version, domain, (uint)time.GetUtcNow().ToUnixTimeSeconds());
    }

    /// <summary>The model of the current objects; rebuilt only when something changed since the last one.</summary>
    public ClusterDnsModel Current
    {
        get
        {
            var version = Volatile.Read(ref _version.Value);
            lock (_lock)
            {
                if (_model is null || version != _builtVersion)
                {
                    // The serial moves with every rebuild, so a secondary (or a curious dig) sees the zone changed.
                    _model = ClusterDnsModel.Build(_services.Items.Values, _slices.Items.Values, _nodes.Items.Values, _domain, unchecked(_firstSerial + (uint)version));
                    _builtVersion = version;
                }

                return _model;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _slices.DisposeAsync();
        await _nodes.DisposeAsync();
    }
}
