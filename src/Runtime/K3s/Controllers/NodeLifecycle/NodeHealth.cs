using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>
/// What the node lifecycle controller remembers of one node's health (upstream's <c>nodeHealthData</c>):
/// <see cref="ProbeTime"/> is when THIS controller last saw a sign of life, on its own clock: the node first observed,
/// its Ready condition's <c>lastHeartbeatTime</c> changed, or its Lease's <c>renewTime</c> moved forward. Timestamps
/// written by the kubelet are only compared, never trusted as times, so a node with a skewed clock is judged fairly.
/// Pure and immutable.
/// </summary>
/// <param name="ProbeTime">When the controller last observed a heartbeat or a renewal.</param>
/// <param name="Heartbeat">The kubelet's last seen Ready <c>lastHeartbeatTime</c> (text, compared only).</param>
/// <param name="LeaseRenew">The last seen Lease <c>renewTime</c>.</param>
/// <param name="EverReported">Whether the node has had a Ready condition from its kubelet (else the startup grace applies).</param>
internal sealed record NodeHealth(DateTimeOffset ProbeTime, string? Heartbeat, DateTimeOffset? LeaseRenew, bool EverReported)
{
    /// <summary>upstream <c>node-startup-grace-period</c>: how long a node that never posted a Ready condition gets.</summary>
    public static readonly TimeSpan StartupGracePeriod = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The health after observing <paramref name="node"/> and its <paramref name="lease"/> (null when it has none)
    /// at <paramref name="now"/>, given what was remembered (<paramref name="saved"/>, null for a first sight).
    /// Conditions this controller wrote itself (reasons <c>NodeStatusUnknown</c>, <c>NodeStatusNeverUpdated</c>) are
    /// no heartbeat.
    /// </summary>
    public static NodeHealth Observe(NodeHealth? saved, JsonObject node, JsonObject? lease, DateTimeOffset now)
    {
        var ready = PodState.Condition(node, "Ready");
        var fromKubelet = ready is not null && ready.Str("reason") is not (NodeConditionsUnknown.StoppedReason or NodeConditionsUnknown.NeverReason);
        var heartbeat = fromKubelet ? ready.Str("lastHeartbeatTime") : saved?.Heartbeat;
        var renew = PodState.Time(lease.Obj("spec").Str("renewTime"));
        if (saved is null)
        {
            return new NodeHealth(now, heartbeat, renew, fromKubelet);
        }

        var alive = (heartbeat is not null && heartbeat != saved.Heartbeat)
            || (renew is { } r && (saved.LeaseRenew is not { } before || r > before));
        return new NodeHealth(alive ? now : saved.ProbeTime, heartbeat, renew is { } n && (saved.LeaseRenew is not { } b || n > b) ? n : saved.LeaseRenew, saved.EverReported || fromKubelet);
    }

    /// <summary>
    /// Whether the node has shown no sign of life for longer than <paramref name="gracePeriod"/> (or
    /// <see cref="StartupGracePeriod"/>, if longer, for a node that never reported) at <paramref name="now"/>.
    /// </summary>
    public bool IsSilent(DateTimeOffset now, TimeSpan gracePeriod)
    {
        var grace = EverReported || gracePeriod >= StartupGracePeriod ? gracePeriod : StartupGracePeriod;
        return now - ProbeTime > grace;
    }
}
