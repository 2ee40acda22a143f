using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;
using K3sLab.K3s.Controllers.Storage;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>
/// kube-scheduler's VolumeBinding plugin for a pod's <c>persistentVolumeClaim</c> volumes, pure:
/// <list type="bullet">
/// <item>PreFilter: a missing claim (<c>persistentvolumeclaim "x" not found</c>), one being deleted, or an unbound one
/// whose class binds at once (<c>pod has unbound immediate PersistentVolumeClaims</c>) keeps the pod off every
/// node.</item>
/// <item>Filter: a bound claim's volume must admit the node by its node affinity (<c>node(s) had volume node
/// affinity conflict</c>); an unbound claim that waits for its first consumer needs, on that node, a matching free
/// volume or a class that provisions (<c>node(s) didn't find available persistent volumes to bind</c>).</item>
/// <item>PreBind (in <see cref="SchedulerSession"/>): each waiting claim is annotated with the chosen node
/// (<c>volume.kubernetes.io/selected-node</c>), and the pod is bound once the binder or provisioner has bound the
/// claims.</item>
/// </list>
/// </summary>
internal sealed class VolumeBinding
{
    public const string NodeConflict = "node(s) had volume node affinity conflict";
    public const string NoVolumes = "node(s) didn't find available persistent volumes to bind";
    public const string UnboundImmediate = "pod has unbound immediate PersistentVolumeClaims";

    private readonly List<JsonObject> _bound = [];
    private readonly List<(JsonObject Claim, bool Provisions)> _waiting = [];
    private readonly IReadOnlyCollection<JsonObject> _volumes;

    private VolumeBinding(IReadOnlyCollection<JsonObject> volumes) => _volumes = volumes;

    /// <summary>A pod without claims: no constraint.</summary>
    public static VolumeBinding None { get; } = new([]);

    /// <summary>Why the pod can go nowhere before any node is looked at, or null.</summary>
    public string? PreFilterMessage { get; private set; }

    /// <summary>The claims to annotate with the chosen node before the pod is bound (namespace/name).</summary>
    public IReadOnlyList<string> WaitingClaims => [.. _waiting.Select(w => ObjectKeys.Of(w.Claim))];

    /// <summary>Reads the pod's claims from the caches' items (keyed <c>namespace/name</c>, <c>/name</c> for volumes and classes).</summary>
    public static VolumeBinding Of(SchedulingPod pod, IReadOnlyDictionary<string, JsonObject> claims, IReadOnlyDictionary<string, JsonObject> volumes, IReadOnlyDictionary<string, JsonObject> classes)
    {
        var names = pod.Object.Obj("spec").Arr("volumes").Items()
            .Select(v => v.Item.Obj("persistentVolumeClaim").Str("claimName")).OfType<string>().Where(n => n.Length > 0).Distinct().ToList();
        if (names.Count == 0)
        {
            return None;
        }

        var binding = new VolumeBinding([.. volumes.Values]);
        var immediate = false;
        foreach (var name in names)
        {
            if (!claims.TryGetValue(ObjectKeys.CacheKey(pod.Namespace, name), out var claim))
            {
                binding.PreFilterMessage = $"persistentvolumeclaim \"{name}\" not found";
                return binding;
            }

            if (ObjectKeys.IsDeleting(claim))
            {
                binding.PreFilterMessage = $"persistentvolumeclaim \"{name}\" is being deleted";
                return binding;
            }

            var volumeName = VolumeClaims.VolumeName(claim);
            if (volumeName.Length > 0)
            {
                if (volumes.TryGetValue(ObjectKeys.CacheKey(string.Empty, volumeName), out var volume))
                {
                    binding._bound.Add(volume);
                }
                else
                {
                    binding.PreFilterMessage = $"pvc {name} has a volume {volumeName} that does not exist";
                    return binding;
                }

                continue;
            }

            var storageClass = classes.GetValueOrDefault(ObjectKeys.CacheKey(string.Empty, VolumeClaims.ClassOf(claim)));
            if (!VolumeClaims.WaitsForConsumer(storageClass))
            {
                immediate = true;
                continue;
            }

            binding._waiting.Add((claim, storageClass.Str("provisioner") is { Length: > 0 } p && p != VolumeClaims.NoProvisioner));
        }

        if (immediate)
        {
            binding.PreFilterMessage = UnboundImmediate;
        }

        return binding;
    }

    /// <summary>The node's reason to refuse the pod's volumes, or null when they fit there.</summary>
    public string? Reason(SchedulingNode node)
    {
        foreach (var volume in _bound)
        {
            if (!VolumeClaims.AdmitsNode(volume, node.Labels, node.Name))
            {
                return NodeConflict;
            }
        }

        foreach (var (claim, provisions) in _waiting)
        {
            if (!provisions && ClaimMatching.Find(claim, _volumes, v => VolumeClaims.AdmitsNode(v, node.Labels, node.Name)) is null)
            {
                return NoVolumes;
            }
        }

        return null;
    }
}
