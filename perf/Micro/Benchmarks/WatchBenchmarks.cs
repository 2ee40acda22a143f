using System.Text;
using BenchmarkDotNet.Attributes;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Watch;
using Microsoft.Extensions.Logging.Abstractions;

namespace K3sLab.Perf.Micro.Benchmarks;

/// <summary>
/// Watch fan-out (<see cref="WatchHub"/>): one committed put published to 100 synced watchers of its prefix, each
/// of which then drains its queue, as the etcd and API watch streams do.
/// </summary>
[MemoryDiagnoser]
public class WatchBenchmarks
{
    private const int Watchers = 100;
    private readonly List<IStoreWatch> _watches = [];
    private WatchHub _hub = null!;
    private WatchEvent _event = null!;
    private long _revision;

    [GlobalSetup]
    public void Setup()
    {
        _revision = 1;
        _hub = new WatchHub(new NoHistory(), _revision, NullLogger.Instance);
        var prefix = Encoding.UTF8.GetBytes("/registry/configmaps/perf/");
        for (var i = 0; i < Watchers; i++)
        {
            _watches.Add(_hub.Add(new WatchRequest(KeyRange.Prefix(prefix)), _revision + 1));
        }

        var key = Encoding.UTF8.GetBytes("/registry/configmaps/perf/cm-00000");
        _event = new WatchEvent(false, new KeyValue(key, 2, 2, 1, new byte[400], 0), null);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var watch in _watches)
        {
            watch.Dispose();
        }

        _watches.Clear();
        _hub.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public void FanOut()
    {
        _revision++;
        _hub.Publish([new StoredEvent(_revision, _event)], _revision);
        foreach (var watch in _watches)
        {
            while (watch.Batches.TryRead(out _))
            {
            }
        }
    }

    /// <summary>Every watcher here is synced from the start, so the hub never reads history.</summary>
    private sealed class NoHistory : IWatchHistory
    {
        public long CompactRevision => 0;

        public Task<(IReadOnlyList<StoredEvent> Events, long Through)> ReadAsync(long from, long to, CancellationToken cancellationToken) =>
            Task.FromResult<(IReadOnlyList<StoredEvent>, long)>(([], to));
    }
}
