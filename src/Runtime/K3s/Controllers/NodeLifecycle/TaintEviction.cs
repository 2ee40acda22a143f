using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.NodeLifecycle;

/// <summary>A NoExecute taint of a node and since when it has been there (its <c>timeAdded</c>, or when first seen).</summary>
internal readonly record struct NoExecuteTaint(string Key, string Value, DateTimeOffset Since);

/// <summary>
/// When the taint eviction controller deletes a pod bound to a node with NoExecute taints: at once when one taint is
/// tolerated by none of the pod's tolerations; otherwise, for each taint, the first toleration that tolerates it
/// (upstream's order) gives <c>tolerationSeconds</c> (none: forever; negative: zero) counted from the taint's
/// <see cref="NoExecuteTaint.Since"/>, and the pod goes at the earliest of these times. Pure.
/// </summary>
internal static class TaintEviction
{
    /// <summary>
    /// When to delete <paramref name="pod"/>: null when it tolerates every taint forever (or there are none);
    /// <see cref="DateTimeOffset.MinValue"/> when a taint is not tolerated at all; otherwise the deadline.
    /// </summary>
    public static DateTimeOffset? EvictAt(JsonObject pod, IReadOnlyList<NoExecuteTaint> taints)
    {
        var tolerations = pod.Obj("spec").Arr("tolerations")?.OfType<JsonObject>().ToList() ?? [];
        DateTimeOffset? earliest = null;
        foreach (var taint in taints)
        {
            var match = tolerations.FirstOrDefault(t => Tolerations.Tolerates(t, taint.Key, taint.Value, "NoExecute"));
            if (match is null)
            {
                return DateTimeOffset.MinValue;
            }

            if (match.Long("tolerationSeconds") is not { } seconds)
            {
                continue;
            }

            if (seconds >= (DateTimeOffset.MaxValue - taint.Since).TotalSeconds)
            {
                continue;
            }

            var at = taint.Since.AddSeconds(Math.Max(0, seconds));
            if (earliest is not { } e || at < e)
            {
                earliest = at;
            }
        }

        return earliest;
    }
}
