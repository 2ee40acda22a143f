using System.Text.Json.Nodes;
using K3sLab.K3s.ApiServer.Discovery;

namespace K3sLab.K3s.ApiServer.Resources.Versions;

/// <summary>
/// Resources served at more than one version keep their objects in one, the storage version, as kube-apiserver
/// does: a request at another version is converted to it on the way in and from it on the way out. Built in:
/// HorizontalPodAutoscalers, stored as autoscaling/v2 and served at v1 too (<see cref="HorizontalPodAutoscalerConversion"/>).
/// Custom resources convert as a CustomResourceDefinition's <c>None</c> strategy does: only <c>apiVersion</c>
/// changes, to the definition's storage version on the way in and to the version asked for on the way out.
/// </summary>
internal static class ServedVersions
{
    /// <summary>
    /// Whether objects read for <paramref name="resource"/> may need converting, so they cannot be copied from the
    /// stored bytes as they are.
    /// </summary>
    public static bool Converts(ApiResource resource) =>
        IsHorizontalPodAutoscalerV1(resource) || (resource.Custom is { } custom && custom.StorageVersion != resource.Version);

    /// <summary>The object as it is stored: <paramref name="body"/> itself when no conversion applies, else a new object.</summary>
    public static JsonObject ToStorage(ApiResource resource, JsonObject body)
    {
        if (IsHorizontalPodAutoscalerV1(resource))
        {
            return HorizontalPodAutoscalerConversion.ToV2(body);
        }

        if (IsHorizontalPodAutoscalerV2(resource))
        {
            return HorizontalPodAutoscalerConversion.DropRoundTripAnnotations(body);
        }

        if (resource.Custom is { } custom && custom.StorageVersion != resource.Version)
        {
            body["apiVersion"] = $"{resource.Group}/{custom.StorageVersion}";
        }

        return body;
    }

    /// <summary>A stored object as <paramref name="resource"/>'s version shows it: the object itself when that is the stored shape.</summary>
    public static JsonObject ToServed(ApiResource resource, JsonObject stored)
    {
        if (IsHorizontalPodAutoscalerV1(resource))
        {
            return HorizontalPodAutoscalerConversion.ToV1(stored);
        }

        if (IsHorizontalPodAutoscalerV2(resource))
        {
            // Stored objects have none of v1's round-trip annotations; one written before they were dropped loses them here.
            return HorizontalPodAutoscalerConversion.DropRoundTripAnnotations(stored);
        }

        if (resource.Custom is not null && stored["apiVersion"]?.GetValue<string>() != resource.GroupVersion)
        {
            var copy = (JsonObject)stored.DeepClone();
            copy["apiVersion"] = resource.GroupVersion;
            return copy;
        }

        return stored;
    }

    private static bool IsHorizontalPodAutoscalerV1(ApiResource resource) =>
        resource is { Group: "autoscaling", Name: "horizontalpodautoscalers", Version: "v1", Custom: null };

    private static bool IsHorizontalPodAutoscalerV2(ApiResource resource) =>
        resource is { Group: "autoscaling", Name: "horizontalpodautoscalers", Version: "v2", Custom: null };
}
