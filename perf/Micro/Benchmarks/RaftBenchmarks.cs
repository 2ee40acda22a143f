using BenchmarkDotNet.Attributes;
using K3sLab.Raft;

namespace K3sLab.Perf.Micro.Benchmarks;

/// <summary>
/// The pure Raft core on a follower's hot path: step one append from the leader (one 256-byte entry, commit
/// following), then take the <see cref="Ready"/> and advance, as the host loop does for every replicated write.
/// </summary>
[MemoryDiagnoser]
public class RaftBenchmarks
{
    /// <summary>Entries before the follower starts over, so a long benchmark run does not grow its log without bound.</summary>
    internal const int EntriesPerNode = 4096;

    private readonly byte[] _data = new byte[256];
    private RaftNode _follower = null!;
    private ulong _last;

    [GlobalSetup]
    public void Setup() => Restart();

    [Benchmark]
    public object Step()
    {
        if (_last == EntriesPerNode)
        {
            Restart();
        }

        var next = _last + 1;
        _follower.Step(new Message(MessageType.Append, 1, 2, 1)
        {
            Index = _last,
            LogTerm = _last == 0 ? 0 : 1UL,
            Entries = [new Entry(next, 1, _data)],
            Commit = _last,
        });
        _last = next;
        var ready = _follower.TakeReady();
        _follower.Advance(ready);
        return ready;
    }

    private void Restart()
    {
        _follower = new RaftNode(2, [1, 2, 3], new RaftConfig(), new Random(7), new HardState(1, 1, 0), []);
        _last = 0;
    }
}
