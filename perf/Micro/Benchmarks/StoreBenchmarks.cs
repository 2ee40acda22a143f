using System.Text;
using BenchmarkDotNet.Attributes;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;

namespace K3sLab.Perf.Micro.Benchmarks;

/// <summary>
/// The replicated store's state machine (<see cref="MvccState"/>), the in-memory MVCC every member applies committed
/// writes to: a put appended as a new revision, and a prefix range as the API server's LIST asks for it.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    /// <summary>Puts before the appended-to state starts over, so a long benchmark run does not grow memory without bound.</summary>
    internal const int PutsPerState = 4096;

    private const int Keys = 1000;
    private readonly TxnCommand[] _puts = new TxnCommand[Keys];
    private MvccState _appendState = new();
    private MvccState _rangeState = new();
    private RangeQuery _page = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var value = Encoding.UTF8.GetBytes(new string('v', 400));
        for (var i = 0; i < Keys; i++)
        {
            _puts[i] = new TxnCommand(TxnRequest.Of(new PutOp(Key(i), value)));
        }

        _appendState = new MvccState();
        _rangeState = new MvccState();
        foreach (var put in _puts)
        {
            _rangeState.Apply(put, out _);
        }

        _page = new RangeQuery(KeyRange.Prefix(Encoding.UTF8.GetBytes("/registry/configmaps/perf/")), Limit: 100);
        _next = 0;
    }

    /// <summary>One put of a 400-byte value over a ring of 1,000 keys (creates, then updates), with its watch events.</summary>
    [Benchmark]
    public object Append()
    {
        if (_next == PutsPerState)
        {
            _appendState = new MvccState();
            _next = 0;
        }

        return _appendState.Apply(_puts[_next++ % Keys], out _);
    }

    /// <summary>The first page (100 keys) of a 1,000-key prefix, as a paged LIST reads it.</summary>
    [Benchmark]
    public object Range() => _rangeState.Range(_page);

    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"/registry/configmaps/perf/cm-{i:D5}");
}
