using System.Globalization;
using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Validation;

namespace K3sLab.K3s.Kubelet.Pods;

/// <summary>
/// A <c>resourceFieldRef</c>'s value as the kubelet computes it: the named container's (default: this one)
/// <c>limits.cpu</c>, <c>limits.memory</c>, <c>limits.ephemeral-storage</c> or the matching <c>requests.*</c>,
/// divided by <c>divisor</c> (default 1) and rounded up to a whole number. A limit the container does not set is the
/// node's allocatable amount; a request it does not set is its limit (the API server's defaulting), else 0. CPU is
/// counted in millicores before dividing, so 250m with divisor 1 is 1 and with divisor 1m is 250. Pure.
/// </summary>
internal static class ResourceFieldRef
{
    /// <summary>The value, or null with <paramref name="error"/> saying why.</summary>
    public static string? Value(JsonObject pod, JsonObject container, JsonObject fieldRef, JsonObject? allocatable, out string? error)
    {
        error = null;
        var resource = fieldRef["resource"]?.GetValue<string>() ?? string.Empty;
        var target = container;
        if (fieldRef["containerName"]?.GetValue<string>() is { Length: > 0 } containerName)
        {
            target = new[] { "containers", "initContainers" }
                .SelectMany(list => (pod["spec"]?[list] as JsonArray ?? []).OfType<JsonObject>())
                .FirstOrDefault(c => c["name"]?.GetValue<string>() == containerName)!;
            if (target is null)
            {
                error = $"container {containerName} not found in pod";
                return null;
            }
        }

        var divisor = 1m;
        if (fieldRef["divisor"] is { } divisorNode)
        {
            if (!Quantity.TryRead(divisorNode, out var parsed) || parsed.Value <= 0)
            {
                error = $"invalid divisor {divisorNode.ToJsonString()} for resource {resource}";
                return null;
            }

            divisor = parsed.Value;
        }

        var dot = resource.IndexOf('.', StringComparison.Ordinal);
        var (kind, name) = dot < 0 ? (resource, string.Empty) : (resource[..dot], resource[(dot + 1)..]);
        if (kind is not ("limits" or "requests") || name is not ("cpu" or "memory" or "ephemeral-storage"))
        {
            error = $"unsupported container resource : {resource}";
            return null;
        }

        var resources = target["resources"];
        var limit = resources?["limits"]?[name] ?? allocatable?[name];
        var amount = kind == "limits" ? limit : resources?["requests"]?[name] ?? resources?["limits"]?[name];
        var value = Quantity.TryRead(amount, out var quantity) ? quantity.Value : 0m;
        var result = name == "cpu"
            ? Math.Ceiling(Math.Ceiling(value * 1000m) / Math.Ceiling(divisor * 1000m))
            : Math.Ceiling(Math.Ceiling(value) / Math.Ceiling(divisor));
        return result.ToString("0", CultureInfo.InvariantCulture);
    }
}
