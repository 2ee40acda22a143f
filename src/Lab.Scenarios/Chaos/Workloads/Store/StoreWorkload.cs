using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using K3sLab.Scenarios.Chaos.Running;
using K3sLab.Scenarios.Chaos.Workloads.Store.Wire;
using K3sLab.Scenarios.Checkers;

namespace K3sLab.Scenarios.Chaos.Workloads.Store;

/// <summary>
/// The store-level workload: clients on the etcd v3 API of the servers' embedded datastore members. Each client
/// reads (a linearizable Range), puts, or compare-and-swaps (a Txn comparing the key's mod revision with the one it
/// last saw, reading the key back when the compare fails) a few keys under <see cref="Prefix"/>. Every request is
/// recorded on the run's clock: ok; failed (a Txn whose compare failed: definitely not applied); unknown (any gRPC
/// error or the 5 s deadline). Watchers watch the prefix with progress notifications and resume after a broken
/// stream on the next server from the revision after the last one they saw; the run replays the prefix's history at
/// the end for the watch check.
/// </summary>
internal sealed partial class StoreWorkload : IAsyncDisposable
{
    /// <summary>Where the workload's keys live in the store, apart from the Kubernetes registry.</summary>
    public const string Prefix = "/k3slab-chaos/";

    /// <summary>Store clients are numbered from here in the record, apart from the API clients.</summary>
    public const int FirstClient = 1000;

    private const int MaxOperationsPerClient = 20_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private readonly RunRecord _record;
    private readonly string _runId;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly Dictionary<string, List<WatchStreamItem>> _streams = new(StringComparer.Ordinal);
    private StoreEndpoints? _endpoints;
    private long _startRevision;

    public StoreWorkload(RunRecord record, string runId)
    {
        _record = record;
        _runId = runId;
    }

    public bool Started => _endpoints is not null;

    /// <summary>How many keys the clients use (0 before start).</summary>
    public int Keys { get; private set; }

    /// <summary>Every watcher's stream as received.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<WatchStreamItem>> Streams
    {
        get
        {
            lock (_streams)
            {
                return _streams.ToDictionary(s => s.Key, s => (IReadOnlyList<WatchStreamItem>)[.. s.Value], StringComparer.Ordinal);
            }
        }
    }

    private string KeyName(int key) => $"store-{_runId}-{key}";

    private static ByteString Wire(string key) => ByteString.CopyFromUtf8(Prefix + key);

    /// <summary>This run's keys: <c>/k3slab-chaos/store-&lt;run&gt;-</c>, so runs on one cluster never see each other's.</summary>
    private string RunPrefix => $"store-{_runId}-";

    private ByteString RunPrefixEnd => ByteString.CopyFromUtf8(Prefix + RunPrefix[..^1] + (char)(RunPrefix[^1] + 1));

    /// <summary>Starts the clients (client c on <paramref name="via"/>[c mod n]) and the watchers.</summary>
    public async Task StartAsync(StoreEndpoints endpoints, int clients, int keys, int watchers, IReadOnlyList<string> via, int seed, CancellationToken cancellationToken)
    {
        _endpoints = endpoints;
        Keys = keys;
        _startRevision = await CurrentRevisionAsync(via[0], TimeSpan.FromSeconds(60), cancellationToken);
        for (var c = 0; c < clients; c++)
        {
            var client = FirstClient + c;
            var random = new Random((seed * 1_000) + 500 + c);
            var server = via[c % via.Count];
            _tasks.Add(Task.Run(() => ClientLoopAsync(client, server, keys, random, _stop.Token), CancellationToken.None));
        }

        for (var w = 0; w < watchers; w++)
        {
            var name = $"etcd-w{w}";
            var first = w % via.Count;
            lock (_streams)
            {
                _streams[name] = [];
            }

            _tasks.Add(Task.Run(() => WatchLoopAsync(name, via, first, _stop.Token), CancellationToken.None));
        }
    }

    /// <summary>Stops clients and watchers and waits for their requests in flight.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks);
    }

    /// <summary>Reads every key once through <paramref name="server"/>, retrying each until answered or out of time; recorded as client 999.</summary>
    public async Task FinalReadsAsync(string server, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = _record.Clock.Elapsed + within;
        for (var k = 0; k < Keys; k++)
        {
            while (!await ReadAsync(FirstClient - 1, server, KeyName(k), cancellationToken) && _record.Clock.Elapsed < deadline)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task<long> CurrentRevisionAsync(string server, TimeSpan within, CancellationToken cancellationToken)
    {
        var deadline = _record.Clock.Elapsed + within;
        while (true)
        {
            try
            {
                var range = await new KV.KVClient(_endpoints!.For(server)).RangeAsync(new RangeRequest { Key = Wire(RunPrefix), RangeEnd = RunPrefixEnd, Limit = 1 }, deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);
                return range.Header.Revision;
            }
            catch (RpcException) when (_record.Clock.Elapsed < deadline)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }

    private async Task ClientLoopAsync(int client, string server, int keys, Random random, CancellationToken stop)
    {
        var lastSeen = new Dictionary<string, long>(StringComparer.Ordinal);
        var kv = new KV.KVClient(_endpoints!.For(server));
        for (var i = 0; i < MaxOperationsPerClient && !stop.IsCancellationRequested; i++)
        {
            var key = KeyName(random.Next(keys));
            var roll = random.Next(100);
            var value = string.Create(CultureInfo.InvariantCulture, $"s{client}.{i}");
            var call = _record.Clock.Micros;
            try
            {
                if (roll < 40)
                {
                    var range = await kv.RangeAsync(new RangeRequest { Key = Wire(key) }, deadline: DateTime.UtcNow + Deadline);
                    var found = range.Kvs.FirstOrDefault();
                    lastSeen[key] = found?.ModRevision ?? 0;
                    Record(new OperationRecord(client, "read", key, call, _record.Clock.Micros, OperationOutcome.Ok) { Value = found?.Value.ToStringUtf8(), Revision = found?.ModRevision ?? 0, Via = server });
                }
                else if (roll < 60)
                {
                    var put = await kv.PutAsync(new PutRequest { Key = Wire(key), Value = ByteString.CopyFromUtf8(value) }, deadline: DateTime.UtcNow + Deadline);
                    lastSeen[key] = put.Header.Revision;
                    Record(new OperationRecord(client, "put", key, call, _record.Clock.Micros, OperationOutcome.Ok) { Value = value, Revision = put.Header.Revision, Via = server });
                }
                else
                {
                    var expected = lastSeen.GetValueOrDefault(key);
                    var txn = new TxnRequest
                    {
                        Compare = { new Compare { Key = Wire(key), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expected } },
                        Success = { new RequestOp { RequestPut = new PutRequest { Key = Wire(key), Value = ByteString.CopyFromUtf8(value) } } },
                        Failure = { new RequestOp { RequestRange = new RangeRequest { Key = Wire(key) } } },
                    };
                    var answer = await kv.TxnAsync(txn, deadline: DateTime.UtcNow + Deadline);
                    if (answer.Succeeded)
                    {
                        lastSeen[key] = answer.Header.Revision;
                        Record(new OperationRecord(client, "cas", key, call, _record.Clock.Micros, OperationOutcome.Ok) { Value = value, Expected = expected, Revision = answer.Header.Revision, Via = server });
                    }
                    else
                    {
                        lastSeen[key] = answer.Responses.FirstOrDefault()?.ResponseRange?.Kvs.FirstOrDefault()?.ModRevision ?? 0;
                        Record(new OperationRecord(client, "cas", key, call, _record.Clock.Micros, OperationOutcome.Failed) { Value = value, Expected = expected, Via = server, Error = "compare failed" });
                    }
                }
            }
            catch (RpcException e)
            {
                var kind = roll < 40 ? "read" : roll < 60 ? "put" : "cas";
                Record(new OperationRecord(client, kind, key, call, _record.Clock.Micros, OperationOutcome.Unknown) { Value = value, Expected = lastSeen.GetValueOrDefault(key), Via = server, Error = $"{e.StatusCode}: {e.Status.Detail}" });
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    private async Task<bool> ReadAsync(int client, string server, string key, CancellationToken cancellationToken)
    {
        var call = _record.Clock.Micros;
        try
        {
            var range = await new KV.KVClient(_endpoints!.For(server)).RangeAsync(new RangeRequest { Key = Wire(key) }, deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);
            var found = range.Kvs.FirstOrDefault();
            Record(new OperationRecord(client, "read", key, call, _record.Clock.Micros, OperationOutcome.Ok) { Value = found?.Value.ToStringUtf8(), Revision = found?.ModRevision ?? 0, Via = server });
            return true;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    private void Record(OperationRecord operation) => _record.Operation(operation);
}
