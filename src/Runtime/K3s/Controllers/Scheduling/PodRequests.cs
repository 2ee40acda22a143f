using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Controllers.Scheduling;

/// <summary>An amount of the resources the scheduler fits: cpu in millicores, memory in bytes.</summary>
internal readonly record struct ResourceAmount(long MilliCpu, long Memory)
{
    public static ResourceAmount operator +(ResourceAmount a, ResourceAmount b) => new(a.MilliCpu + b.MilliCpu, a.Memory + b.Memory);

    public static ResourceAmount operator -(ResourceAmount a, ResourceAmount b) => new(a.MilliCpu - b.MilliCpu, a.Memory - b.Memory);

    public static ResourceAmount Max(ResourceAmount a, ResourceAmount b) => new(Math.Max(a.MilliCpu, b.MilliCpu), Math.Max(a.Memory, b.Memory));

    public bool IsZero => MilliCpu == 0 && Memory == 0;

    /// <summary>Reads <c>cpu</c> and <c>memory</c> of a resource list (requests, allocatable, overhead); what is absent or unreadable is 0.</summary>
    public static ResourceAmount Of(JsonObject? list) => new(Milli(list?["cpu"]), Whole(list?["memory"]));

    /// <summary>A quantity in thousandths, rounded up as <c>Quantity.MilliValue</c> does.</summary>
    public static long Milli(JsonNode? node) => Quantity.TryRead(node, out var q) ? q.MilliValue : 0;

    /// <summary>A quantity as a whole number, rounded up as <c>Quantity.Value</c> does.</summary>
    public static long Whole(JsonNode? node) => Quantity.TryRead(node, out var q) ? Clamp(Math.Ceiling(q.Value)) : 0;

    private static long Clamp(decimal value) => value >= long.MaxValue ? long.MaxValue : value <= long.MinValue ? long.MinValue : (long)value;
}

/// <summary>
/// What a pod asks of a node (upstream's <c>resourcehelper.PodRequests</c>): the sum of its containers' requests,
/// raised to each regular init container's request (plus the restartable "sidecar" init containers started before
/// it), sidecars added to the running total, plus <c>spec.overhead</c>. A container without a request of a resource
/// it has a limit for requests the limit, as API defaulting makes it. The non-zero variant counts 100m cpu and
/// 200Mi memory for a container that requests none, as the scoring plugins do so best-effort pods still spread.
/// </summary>
internal static class PodRequests
{
    /// <summary>Upstream's <c>DefaultMilliCPURequest</c>.</summary>
    public const long DefaultMilliCpu = 100;

    /// <summary>Upstream's <c>DefaultMemoryRequest</c> (200Mi).</summary>
    public const long DefaultMemory = 200L * 1024 * 1024;

    public static ResourceAmount Of(JsonObject? spec, bool nonZero)
    {
        var containers = default(ResourceAmount);
        foreach (var (_, container) in spec.Arr("containers").Items())
        {
            containers += Container(container, nonZero);
        }

        var sidecars = default(ResourceAmount);
        var init = default(ResourceAmount);
        foreach (var (_, container) in spec.Arr("initContainers").Items())
        {
            var request = Container(container, nonZero);
            if (container.Str("restartPolicy") == "Always")
            {
                sidecars += request;
                init = ResourceAmount.Max(init, sidecars);
            }
            else
            {
                init = ResourceAmount.Max(init, sidecars + request);
            }
        }

        var total = ResourceAmount.Max(containers + sidecars, init);
        return nonZero ? total : total + ResourceAmount.Of(spec.Obj("overhead"));
    }

    private static ResourceAmount Container(JsonNode? container, bool nonZero)
    {
        var requests = container.Obj("resources").Obj("requests");
        var limits = container.Obj("resources").Obj("limits");
        var cpu = ResourceAmount.Milli(requests?["cpu"] ?? limits?["cpu"]);
        var memory = ResourceAmount.Whole(requests?["memory"] ?? limits?["memory"]);
        if (nonZero)
        {
            cpu = (requests?["cpu"] ?? limits?["cpu"]) is null ? DefaultMilliCpu : cpu;
            memory = (requests?["memory"] ?? limits?["memory"]) is null ? DefaultMemory : memory;
        }

        return new ResourceAmount(cpu, memory);
    }
}
