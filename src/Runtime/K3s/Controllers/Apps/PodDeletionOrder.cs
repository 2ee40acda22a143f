using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Apps;

/// <summary>
/// The order in which a ReplicaSet gives up pods when it has too many (upstream's ActivePods ordering), cheapest
/// loss first: unscheduled before scheduled; Pending before Unknown before Running; not ready before ready; ready
/// for less time before ready longer; more container restarts before fewer; newer before older.
/// </summary>
internal sealed class PodDeletionOrder : IComparer<JsonObject>
{
    public static PodDeletionOrder Instance { get; } = new();

    public int Compare(JsonObject? x, JsonObject? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        var assigned = (PodState.NodeName(x).Length > 0).CompareTo(PodState.NodeName(y).Length > 0);
        if (assigned != 0)
        {
            return assigned;
        }

        var phase = PhaseRank(x).CompareTo(PhaseRank(y));
        if (phase != 0)
        {
            return phase;
        }

        var ready = PodState.IsReady(x).CompareTo(PodState.IsReady(y));
        if (ready != 0)
        {
            return ready;
        }

        if (PodState.IsReady(x))
        {
            // Both ready: the one ready more recently goes first (a later transition sorts earlier).
            var readySince = Nullable.Compare(ReadySince(y), ReadySince(x));
            if (readySince != 0)
            {
                return readySince;
            }
        }

        var restarts = Restarts(y).CompareTo(Restarts(x));
        if (restarts != 0)
        {
            return restarts;
        }

        var created = Nullable.Compare(Created(y), Created(x));
        return created != 0 ? created : string.CompareOrdinal(ObjectKeys.Name(x), ObjectKeys.Name(y));
    }

    private static int PhaseRank(JsonObject pod) => PodState.Phase(pod) switch
    {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    };

    private static DateTimeOffset? ReadySince(JsonObject pod) => PodState.Time(PodState.Condition(pod, "Ready").Str("lastTransitionTime"));

    private static DateTimeOffset? Created(JsonObject pod) => PodState.Time(pod.Obj("metadata").Str("creationTimestamp"));

    /// <summary>The highest restart count of the pod's containers, as upstream compares it.</summary>
    private static long Restarts(JsonObject pod) =>
        pod.Obj("status").Arr("containerStatuses").Items().Select(c => c.Item.Long("restartCount") ?? 0).DefaultIfEmpty(0).Max();
}
