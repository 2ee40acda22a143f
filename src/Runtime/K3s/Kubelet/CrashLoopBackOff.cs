namespace K3sLab.K3s.Kubelet;

/// <summary>
/// The kubelet's restart back-off for one container, as its <c>flowcontrol.Backoff</c> works: the first restart is
/// at once, the second waits 10 s, each further one twice as long, up to 5 minutes; a container that ran 10 minutes
/// without exiting is restarted at once again and starts over. Pure: the caller passes the times. While waiting,
/// the container's status is <c>Waiting</c> with reason <c>CrashLoopBackOff</c>.
/// </summary>
internal sealed class CrashLoopBackOff
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Max = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ResetAfterRunning = TimeSpan.FromMinutes(10);

    private TimeSpan? _next;

    /// <summary>The delay chosen for the most recent exit, or zero before the first.</summary>
    public TimeSpan Current { get; private set; }

    /// <summary>When the container may start again.</summary>
    public DateTimeOffset NotBefore { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>Records an exit of a container that started at <paramref name="startedAt"/>; returns the delay before its restart.</summary>
    public TimeSpan Exited(DateTimeOffset startedAt, DateTimeOffset exitedAt)
    {
        if (_next is not { } next || exitedAt - startedAt >= ResetAfterRunning)
        {
            // No back-off yet (or it expired while the container ran): restart at once, and wait from the next exit on.
            Current = TimeSpan.Zero;
            _next = Initial;
        }
        else
        {
            Current = next;
            _next = next * 2 > Max ? Max : next * 2;
        }

        NotBefore = exitedAt + Current;
        return Current;
    }

    /// <summary>Whether a restart is held back at <paramref name="now"/>.</summary>
    public bool IsBackingOff(DateTimeOffset now) => now < NotBefore;

    /// <summary>The message kubectl shows, e.g. <c>back-off 20s restarting failed container=app pod=web_default(uid)</c>.</summary>
    public string Message(string container, string pod, string ns, string uid) =>
        $"back-off {Format(Current)} restarting failed container={container} pod={pod}_{ns}({uid})";

    /// <summary>Go's duration format, which the kubelet's messages use: <c>10s</c>, <c>1m20s</c>, <c>5m0s</c>.</summary>
    private static string Format(TimeSpan delay) =>
        delay.TotalMinutes >= 1 ? $"{(int)delay.TotalMinutes}m{delay.Seconds}s" : $"{(int)delay.TotalSeconds}s";
}
