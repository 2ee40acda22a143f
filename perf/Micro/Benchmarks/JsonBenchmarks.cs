using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Store;

namespace K3sLab.Perf.Micro.Benchmarks;

/// <summary>
/// The API server's JSON on its hot paths: a LIST of stored objects written straight through with their versions
/// spliced in (<see cref="StoredJson"/>), and one stored object parsed into the DOM a GET or update works on and
/// written back as it is stored.
/// </summary>
[MemoryDiagnoser]
public class JsonBenchmarks
{
    private const int ListItems = 100;
    private readonly ArrayBufferWriter<byte> _output = new(256 * 1024);
    private byte[][] _stored = [];
    private KeyValue _kv = null!;
    private JsonObject _object = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stored = [.. Enumerable.Range(0, ListItems).Select(i => Encoding.UTF8.GetBytes(ConfigMap(i)))];
        _kv = new KeyValue(Encoding.UTF8.GetBytes("/registry/configmaps/perf/cm-00000"), 5, 7, 2, _stored[0], 0);
        _object = ObjectStorage.Materialize(_kv);
    }

    /// <summary>A LIST's 100 items written with their versions into a reused buffer.</summary>
    [Benchmark]
    public void WriteList()
    {
        _output.ResetWrittenCount();
        for (var i = 0; i < _stored.Length; i++)
        {
            StoredJson.TryWriteWithVersion(_stored[i], 1000 + i, _output);
        }
    }

    /// <summary>One stored ConfigMap parsed, with its resourceVersion set, as a GET or an update starts.</summary>
    [Benchmark]
    public object Deserialize() => ObjectStorage.Materialize(_kv);

    /// <summary>One ConfigMap object written as JSON, as a write stores it.</summary>
    [Benchmark]
    public object Serialize() => _object.ToJsonString();

    private static string ConfigMap(int i) =>
        $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i:D5}}}","namespace":"perf","uid":"6f1c2a3e-0000-4000-8000-{{{i:D12}}}","creationTimestamp":"2026-12-02T09:00:00Z","labels":{"app":"perf","tier":"bench"}},"data":{"key":"{{{new string('x', 200)}}}","other":"value-{{{i}}}"}}""";
}
