using System.Text.Json.Nodes;

namespace K3sLab.K3s.ApiServer.Validation;

/// <summary>
/// A container's resource requests and limits (<c>validateResourceRequirements</c>): quantities are not negative, a
/// request is at most its limit, resources that cannot be overcommitted (extended resources, hugepages) need a limit
/// equal to the request, and hugepages come with cpu or memory. Not checked: resource names and hugepage sizes.
/// </summary>
internal static class ResourceRules
{
    public static void Requirements(JsonNode? resources, string path, FieldErrorList errors)
    {
        var limits = resources.Obj("limits");
        var requests = resources.Obj("requests");
        var (limitsCpuOrMemory, limitsHugePages, requestsCpuOrMemory, requestsHugePages) = (false, false, false, false);
        foreach (var (name, value) in limits ?? [])
        {
            NonNegative(value, $"{path}.limits[{name}]", errors);
            limitsHugePages |= IsHugePages(name);
            limitsCpuOrMemory |= name is "cpu" or "memory";
        }

        foreach (var (name, value) in requests ?? [])
        {
            NonNegative(value, $"{path}.requests[{name}]", errors);
            if (limits?.ContainsKey(name) == true)
            {
                if (Quantity.TryRead(value, out var request) && Quantity.TryRead(limits[name], out var limit))
                {
                    if (request.CompareTo(limit) != 0 && !IsOvercommitAllowed(name))
                    {
                        errors.Invalid($"{path}.requests", request.ToString(), $"must be equal to {name} limit of {limit}");
                    }
                    else if (request.CompareTo(limit) > 0)
                    {
                        errors.Invalid($"{path}.requests", request.ToString(), $"must be less than or equal to {name} limit of {limit}");
                    }
                }
            }
            else if (!IsOvercommitAllowed(name))
            {
                errors.Required($"{path}.limits", "Limit must be set for non overcommitable resources");
            }

            requestsHugePages |= IsHugePages(name);
            requestsCpuOrMemory |= name is "cpu" or "memory";
        }

        if (!limitsCpuOrMemory && !requestsCpuOrMemory && (requestsHugePages || limitsHugePages))
        {
            errors.Forbidden(path, "HugePages require cpu or memory");
        }
    }

    private static void NonNegative(JsonNode? value, string path, FieldErrorList errors)
    {
        if (Quantity.TryRead(value, out var quantity) && quantity.IsNegative)
        {
            errors.Invalid(path, quantity.ToString(), Formats.IsNegative);
        }
    }

    private static bool IsHugePages(string name) => name.StartsWith("hugepages-", StringComparison.Ordinal);

    /// <summary>Native resources (unprefixed or under kubernetes.io/) other than hugepages may be overcommitted.</summary>
    private static bool IsOvercommitAllowed(string name) =>
        (!name.Contains('/', StringComparison.Ordinal) || name.Contains("kubernetes.io/", StringComparison.Ordinal)) && !IsHugePages(name);
}
