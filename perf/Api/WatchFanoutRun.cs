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
    public bool Complete => Delivered == Expected && Duplicates == 0 && OutOfOrder == 0 && WriteErrors == 0 && FirstError is null;
}
