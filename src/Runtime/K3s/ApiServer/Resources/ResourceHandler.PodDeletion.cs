using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.ApiServer.Resources;

/// <summary>
/// Graceful pod deletion, as kube-apiserver's pod strategy does it: deleting a pod bound to a node and not yet
/// finished only marks it (<c>deletionTimestamp</c> = now + grace, <c>deletionGracePeriodSeconds</c> = grace, the
/// grace coming from the request's <c>gracePeriodSeconds</c> or else the pod's <c>terminationGracePeriodSeconds</c>);
/// the node's kubelet then stops the containers and deletes the pod with <c>gracePeriodSeconds=0</c>. A later
/// delete may only shorten the grace. One deliberate difference: this server has no node lifecycle controller, and
/// tests register nodes that no kubelet serves, so a pod whose node's Lease in <c>kube-node-lease</c> is not current
/// (renewed within its <c>leaseDurationSeconds</c>) is deleted at once, as <c>--grace-period=0 --force</c> would,
/// instead of staying Terminating forever.
/// </summary>
internal sealed partial class ResourceHandler
{
    private static readonly ResourceKind NodeLeases = new("coordination.k8s.io", "leases", true);

    /// <summary>The grace period a delete request asks for: <c>?gracePeriodSeconds=</c>, else the DeleteOptions body's, else none.</summary>
    private static long? RequestedGracePeriod(HttpContext context, JsonObject? options) =>
        ParseLong(context.Request.Query["gracePeriodSeconds"].ToString() is { Length: > 0 } q ? q : null, "gracePeriodSeconds")
        ?? (options?["gracePeriodSeconds"] is JsonValue v ? long.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null);

    /// <summary>
    /// Marks <paramref name="current"/> for graceful deletion and returns it, or returns null when the pod is to be
    /// deleted now (grace 0, unscheduled, finished, or on a node no kubelet serves).
    /// </summary>
    private async Task<JsonObject?> TryMarkPodForDeletionAsync(StoredObject current, string ns, string name, long? expected, long? requestedGrace, CancellationToken ct)
    {
        var pod = current.Object;
        var grace = requestedGrace ?? (pod["spec"]?["terminationGracePeriodSeconds"] is JsonValue t ? long.Parse(t.ToJsonString(), CultureInfo.InvariantCulture) : 30);
        var node = pod["spec"]?["nodeName"]?.GetValue<string>();
        var phase = pod["status"]?["phase"]?.GetValue<string>();
        if (grace <= 0 || string.IsNullOrEmpty(node) || phase is "Succeeded" or "Failed" || !await HasLiveKubeletAsync(node, ct))
        {
            return null;
        }

        var meta = (JsonObject)pod["metadata"]!;
        if (meta["deletionGracePeriodSeconds"] is JsonValue existing && long.Parse(existing.ToJsonString(), CultureInfo.InvariantCulture) <= grace)
        {
            return pod;
        }

        var marked = await storage.UpdateAsync(Pods, ns, name, expected, o =>
        {
            var m = (JsonObject)o["metadata"]!;
            m["deletionTimestamp"] = ObjectDefaults.Timestamp(time.GetUtcNow().AddSeconds(grace));
            m["deletionGracePeriodSeconds"] = grace;
            return o;
        }, ct);
        return marked.Object;
    }

    /// <summary>Whether the node's Lease was renewed within its duration, i.e. a kubelet is there to finish the deletion.</summary>
    private async Task<bool> HasLiveKubeletAsync(string node, CancellationToken ct)
    {
        try
        {
            var lease = (await storage.GetAsync(NodeLeases, "kube-node-lease", node, ct)).Object;
            var spec = lease["spec"];
            if (spec?["renewTime"]?.GetValue<string>() is not { } renew || !DateTimeOffset.TryParse(renew, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var renewed))
            {
                return false;
            }

            var duration = spec["leaseDurationSeconds"] is JsonValue d ? long.Parse(d.ToJsonString(), CultureInfo.InvariantCulture) : 40;
            return time.GetUtcNow() - renewed <= TimeSpan.FromSeconds(duration);
        }
        catch (Errors.ApiStatusException e) when (e.Code == 404)
        {
            return false;
        }
    }
}
