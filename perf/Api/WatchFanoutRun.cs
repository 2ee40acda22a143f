using K3sLab.Perf.Load;
using K3sLab.Perf.Store;

namespace K3sLab.Perf.Api;

/// <summary>
/// What one watch fan-out measured. Latencies are per delivery: <c>FromSend</c> is receipt minus the moment the writer
/// began sending that create (the whole path, the create included); <c>FromAck</c> is receipt minus the moment the
/// writer had the create's 201, or 0 when the event came first (delivery after commit). <c>WritesPerSecond</c> is the
/// rate the writer achieved; <c>EventsPerSecond</c> is events delivered to all watchers together per second, from
/// the first create sent to the last event received.
/// </summary>
internal sealed record WatchFanoutRun(
    int Watchers,
    int WritesPerSecondAsked,
    double WritesPerSecond,
    double EventsPerSecond,
    int Connections,
    int Writes,
    long Expected,
    long Delivered,
    long Duplicates,
    long OutOfOrder,
    long WriteErrors,
    string? FirstError,
    double Seconds,
    Latencies FromSend,
    Latencies FromAck,
    Latencies WriteLatency,
    double ServerCpuSeconds,
    double ServerRssMiB,
    double ClientCpuSeconds)
{
    /// <summary>Deliveries per second by receipt time, each with its latency from send.</summary>
    public Timeline? Deliveries { get; init; }

    /// <summary>
    /// Each create's latency from the moment the open model scheduled it (HdrHistogram's coordinated-omission
    /// correction): a writer held back by its in-flight bound, or a server that stalled, shows here and not in
    /// <see cref="WriteLatency"/>, which starts when the request was actually sent.
    /// </summary>
    public Latencies WriteFromSchedule { get; init; } = new();

    /// <summary>The level's stable name in reports and thresholds: <c>watch 1000 at 20 writes</c>.</summary>
    public string Name => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"watch {Watchers} at {WritesPerSecondAsked} writes");

    public bool Complete => Delivered == Expected && Duplicates == 0 && OutOfOrder == 0 && WriteErrors == 0 && FirstError is null;
}
