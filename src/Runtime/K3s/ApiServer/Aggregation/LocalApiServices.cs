using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;

namespace K3sLab.K3s.ApiServer.Aggregation;

/// <summary>
/// The APIServices kube-apiserver's autoregistration keeps for the group versions it serves itself: one per group
/// version, named <c>&lt;version&gt;.&lt;group&gt;</c> (<c>v1.</c> for the core group), with no service (shown as
/// <c>Local</c>), labelled <c>kube-aggregator.kubernetes.io/automanaged</c> <c>onstart</c> for built-in groups and
/// <c>true</c> for a CustomResourceDefinition's versions. The aggregator's own group (apiregistration.k8s.io) has
/// none, as in kube. Pure.
/// </summary>
internal static class LocalApiServices
{
    public const string Group = "apiregistration.k8s.io";
    public const string AutomanagedLabel = "kube-aggregator.kubernetes.io/automanaged";
    public const string OnStart = "onstart";
    public const string WhileServed = "true";

    /// <summary>The APIService objects (without status) for every group version in <paramref name="served"/>, by name.</summary>
    public static IReadOnlyDictionary<string, JsonObject> Desired(IEnumerable<ApiResource> served)
    {
        var desired = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var resource in served)
        {
            var name = Name(resource.Group, resource.Version);
            if (resource.Group == Group || desired.ContainsKey(name)
                || ApiServicePriorities.For(resource.Group, resource.Version, resource.Custom is not null) is not { } priority)
            {
                continue;
            }

            desired[name] = new JsonObject
            {
                ["apiVersion"] = Group + "/v1",
                ["kind"] = "APIService",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["labels"] = new JsonObject { [AutomanagedLabel] = resource.Custom is null ? OnStart : WhileServed },
                },
                ["spec"] = new JsonObject
                {
                    ["group"] = resource.Group,
                    ["version"] = resource.Version,
                    ["groupPriorityMinimum"] = priority.Group,
                    ["versionPriority"] = priority.Version,
                },
            };
        }

        return desired;
    }

    /// <summary>kube's APIService name for a group version: <c>v1.apps</c>, <c>v1.</c> for the core group.</summary>
    public static string Name(string group, string version) => $"{version}.{group}";

    /// <summary>Whether the registration manages <paramref name="apiService"/>, and how (<see cref="OnStart"/> or <see cref="WhileServed"/>); null for one a user made.</summary>
    public static string? Automanaged(JsonObject apiService) => apiService["metadata"]?["labels"]?[AutomanagedLabel]?.GetValue<string>();
}
