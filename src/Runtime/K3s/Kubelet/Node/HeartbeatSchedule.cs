namespace K3sLab.K3s.Kubelet.Node;

/// <summary>
/// When the kubelet renews its Lease and posts NodeStatus, as the kubelet's defaults say: the Lease
/// (<c>leaseDurationSeconds</c> 40) is renewed every 10 s, a quarter of its duration; the status is computed every
/// 10 s (<c>nodeStatusUpdateFrequency</c>) but posted only when it changed or 5 minutes
/// (<c>nodeStatusReportFrequency</c>) passed since the last post. A failed write is retried after 1 s. Pure: the
/// caller passes the time and reports what it did; not thread-safe.
/// </summary>
internal sealed class HeartbeatSchedule
{
    public const int LeaseDurationSeconds = 40;
    public static readonly TimeSpan LeaseRenewInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan StatusUpdateInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan StatusReportInterval = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private DateTimeOffset? _leaseRenewed;
    private DateTimeOffset? _statusPosted;
    private DateTimeOffset? _statusChecked;
    private string? _postedFingerprint;
    private bool _failed;

    public bool LeaseDue(DateTimeOffset now) => _leaseRenewed is not { } last || now - last >= LeaseRenewInterval;

    /// <summary>Whether it is time to compute the status again (and so maybe post it).</summary>
    public bool StatusCheckDue(DateTimeOffset now) => _statusChecked is not { } last || now - last >= StatusUpdateInterval;

    /// <summary>Whether a computed status with <paramref name="fingerprint"/> must be posted now.</summary>
    public bool StatusPostDue(DateTimeOffset now, string fingerprint) =>
        _statusPosted is not { } last || fingerprint != _postedFingerprint || now - last >= StatusReportInterval;

    public void LeaseRenewed(DateTimeOffset now) => _leaseRenewed = now;

    public void StatusChecked(DateTimeOffset now) => _statusChecked = now;

    public void StatusPosted(DateTimeOffset now, string fingerprint)
    {
        _statusPosted = now;
        _postedFingerprint = fingerprint;
    }

    /// <summary>Records that a write failed, so the next wake comes after <see cref="RetryInterval"/>.</summary>
    public void Failed() => _failed = true;

    /// <summary>How long to sleep before the next lease renewal or status check.</summary>
    public TimeSpan Wait(DateTimeOffset now)
    {
        if (_failed)
        {
            _failed = false;
            return RetryInterval;
        }

        var lease = _leaseRenewed is { } l ? l + LeaseRenewInterval - now : TimeSpan.Zero;
        var status = _statusChecked is { } s ? s + StatusUpdateInterval - now : TimeSpan.Zero;
        var wait = lease < status ? lease : status;
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }
}
