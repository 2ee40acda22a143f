using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Disruption;

/// <summary>
/// How many pods a budget's pods' controllers want (upstream's getExpectedScale): the sum of <c>spec.replicas</c> over
/// the distinct controllers of the pods, a Deployment standing for the ReplicaSets it owns. Pods with no controller
/// reference are reported as unmanaged and left out; a pod whose controller cannot be found, or is of a kind whose
/// scale this build cannot read, is an error. Pure.
/// </summary>
internal static class ExpectedScale
{
    private static readonly string[] AppsGroups = ["apps", "extensions"];

    /// <summary>Built-in controller kinds without a scale subresource, as upstream's discovery check names them.</summary>
    private static readonly Dictionary<(string Group, string Kind), string> Unscalable = new()
    {
        [("apps", "DaemonSet")] = "daemonsets.apps",
        [("batch", "Job")] = "jobs.batch",
        [("batch", "CronJob")] = "cronjobs.batch",
        [(string.Empty, "Node")] = "nodes",
    };

    /// <summary>The expected count, the names of unmanaged pods, or the error that stops the count.</summary>
    public static (int Expected, IReadOnlyList<string> Unmanaged, string? Error) Of(IEnumerable<JsonObject> pods, WorkloadLookup lookup)
    {
        // Keyed by the uid of the controller whose replicas count, so two ReplicaSets of one Deployment count it once.
        var scales = new Dictionary<string, long>(StringComparer.Ordinal);
        var unmanaged = new List<string>();
        foreach (var pod in pods)
        {
            var owner = ControllerRef.Of(pod);
            if (owner is null)
            {
                unmanaged.Add(ObjectKeys.Name(pod));
                continue;
            }

            if (scales.ContainsKey(owner.Uid))
            {
                continue;
            }

            var (found, error) = Find(owner, ObjectKeys.Namespace(pod), lookup);
            if (error is not null)
            {
                return (0, unmanaged, error);
            }

            if (found is not { } controller)
            {
                return (0, unmanaged, $"found no controllers for pod \"{ObjectKeys.Name(pod)}\"");
            }

            scales[controller.Uid] = controller.Replicas;
        }

        return ((int)scales.Values.Sum(), unmanaged, null);
    }

    /// <summary>
    /// Upstream's finders in their order: ReplicationController, the Deployment over a ReplicaSet, a ReplicaSet no
    /// Deployment controls, StatefulSet, then the owner's own scale (which also covers a ReplicaSet whose Deployment
    /// is gone, and a pod a Deployment or StatefulSet controls directly).
    /// </summary>
    private static ((string Uid, long Replicas)? Found, string? Error) Find(ControllerRef owner, string ns, WorkloadLookup lookup)
    {
        var group = Group(owner.ApiVersion);
        if (owner.Kind == "ReplicationController" && group.Length == 0)
        {
            return (Scale(lookup("ReplicationController", ns, owner.Name), owner.Uid), null);
        }

        if (owner.Kind == "ReplicaSet" && AppsGroups.Contains(group) && Owned(lookup("ReplicaSet", ns, owner.Name), owner.Uid) is { } replicaSet)
        {
            var parent = ControllerRef.Of(replicaSet);
            if (parent is { Kind: "Deployment" } && AppsGroups.Contains(Group(parent.ApiVersion)) && Scale(lookup("Deployment", ns, parent.Name), parent.Uid) is { } deployment)
            {
                return (deployment, null);
            }

            if (parent is not { Kind: "Deployment" })
            {
                return (Scale(replicaSet, owner.Uid), null);
            }
        }

        if (owner.Kind == "StatefulSet" && group == "apps" && Scale(lookup("StatefulSet", ns, owner.Name), owner.Uid) is { } statefulSet)
        {
            return (statefulSet, null);
        }

        return (group, owner.Kind) switch
        {
            ("apps", "Deployment" or "ReplicaSet" or "StatefulSet") or ("", "ReplicationController") => (Scale(lookup(owner.Kind, ns, owner.Name), owner.Uid), null),
            var key when Unscalable.TryGetValue(key, out var resource) => (null, $"{resource} does not implement the scale subresource"),
            _ => (null, $"the scale of {owner.Kind} ({owner.ApiVersion}) controllers is not supported here: budgets with maxUnavailable or a percentage minAvailable need pods controlled by Deployments, ReplicaSets, StatefulSets or ReplicationControllers"),
        };
    }

    private static JsonObject? Owned(JsonObject? workload, string uid) =>
        workload is not null && ObjectKeys.Uid(workload) == uid ? workload : null;

    private static (string Uid, long Replicas)? Scale(JsonObject? workload, string uid) =>
        Owned(workload, uid) is { } found ? (uid, found.Obj("spec").Long("replicas") ?? 1) : null;

    private static string Group(string apiVersion) =>
        apiVersion.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? apiVersion[..slash] : string.Empty;
}
