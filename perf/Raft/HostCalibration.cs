using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace K3sLab.Perf.Raft;

/// <summary>
/// What the host itself gives, measured before either cluster starts: a 2 KiB write and <c>fdatasync</c> in the temp
/// folder (where both clusters keep their data), by one writer alone and by three at once as three members do, and
/// the time one core takes for a fixed managed workload. Both stores are bound by these, so figures from two hosts
/// whose calibrations differ do not compare; the ratio between the stores in one run is what does.
/// </summary>
internal static partial class HostCalibration
{
    /// <summary>A probe this many times slower than the calibration's means the host was busy when a level started.</summary>
    public const double DisturbedFactor = 1.25;

    private const int RecordBytes = 2048;
    private const long FileBytes = 16L << 20;

    /// <summary>One probe's write-and-sync latencies.</summary>
    public readonly record struct SyncLatency(int Syncs, double P50Us, double P99Us);

    /// <summary>The calibration: syncs alone, syncs three at once, and the fixed workload's best time of three.</summary>
    public sealed record Result(SyncLatency Alone, SyncLatency ThreeAtOnce, double CpuWorkMs)
    {
        public string Summary => string.Create(
            CultureInfo.InvariantCulture,
            $"2 KiB write + fdatasync: alone p50 {Alone.P50Us:0} µs (p99 {Alone.P99Us:0}), three at once p50 {ThreeAtOnce.P50Us:0} µs (p99 {ThreeAtOnce.P99Us:0}); fixed one-core workload {CpuWorkMs:0} ms");
    }

    public static Result Measure(TimeSpan perProbe)
    {
        var folder = Directory.CreateTempSubdirectory("k3slab-perf-calibration-").FullName;
        try
        {
            var alone = Syncs(folder, writers: 1, perProbe);
            var three = Syncs(folder, writers: 3, perProbe);
            var cpu = Enumerable.Range(0, 3).Min(_ => CpuWork());
            return new Result(alone, three, cpu);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Each writer appends 2 KiB records to a zero-filled file of its own (blocks already written, as in a WAL
    /// segment), syncing each with <c>fdatasync</c>, on a thread of its own, for <paramref name="duration"/>.
    /// </summary>
    private static SyncLatency Syncs(string folder, int writers, TimeSpan duration)
    {
        var files = Enumerable.Range(0, writers).Select(i => ZeroFilled(Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"w{writers}-{i}")))).ToList();
        var latencies = new List<long>[writers];
        using var start = new Barrier(writers);
        var threads = Enumerable.Range(0, writers).Select(i => new Thread(() => latencies[i] = WriteLoop(files[i], start, duration)) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var sorted = latencies.SelectMany(l => l).Order().ToList();
        double Us(double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))] * 1e6 / Stopwatch.Frequency;
        return new SyncLatency(sorted.Count, Us(0.5), Us(0.99));
    }

    private static string ZeroFilled(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        var zeros = new byte[1 << 20];
        for (long offset = 0; offset < FileBytes; offset += zeros.Length)
        {
            RandomAccess.Write(handle, zeros, offset);
        }

        RandomAccess.FlushToDisk(handle);
        return path;
    }

    private static List<long> WriteLoop(string path, Barrier start, TimeSpan duration)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        var record = new byte[RecordBytes];
        Array.Fill(record, (byte)'x');
        var latencies = new List<long>(20_000);
        start.SignalAndWait();
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long offset = 0;
        while (Stopwatch.GetTimestamp() < until)
        {
            var began = Stopwatch.GetTimestamp();
            RandomAccess.Write(handle, record, offset);
            DataSync(handle);
            latencies.Add(Stopwatch.GetTimestamp() - began);
            offset = (offset + RecordBytes) % FileBytes;
        }

        return latencies;
    }

    private static void DataSync(SafeFileHandle handle)
    {
        if (FdDataSync((int)handle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// A fixed workload of the kinds a store does (sorting, hashing strings into a map, allocating): the same on every
    /// host, so its time (in ms) says how fast one core of this one is. Run again before each level, it shows a host
    /// busy at that moment (another tenant of the machine, a build, a member writing a snapshot).
    /// </summary>
    public static double CpuWork()
    {
        var started = Stopwatch.GetTimestamp();
        var random = new Random(42);
        var numbers = new long[1_000_000];
        for (var i = 0; i < numbers.Length; i++)
        {
            numbers[i] = random.NextInt64();
        }

        Array.Sort(numbers);
        var map = new Dictionary<string, long>();
        for (var i = 0; i < 300_000; i++)
        {
            map[string.Create(CultureInfo.InvariantCulture, $"/registry/pods/default/pod-{numbers[i * 3]:x16}")] = i;
        }

        GC.KeepAlive(map);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdDataSync(int fd);
}
