using K3sLab.K3s.ApiServer.Discovery;

namespace K3sLab.K3s.ApiServer.ResourceMetrics;

/// <summary>
/// The resources of <c>metrics.k8s.io/v1beta1</c> as metrics-server's discovery lists them (read-only, no singular
/// name): cluster-scoped <c>nodes</c> of kind NodeMetrics and namespaced <c>pods</c> of kind PodMetrics. Served when
/// the server runs the packaged metrics-server (not <c>--disable metrics-server</c>).
/// </summary>
internal static class MetricsResources
{
    private static readonly string[] ReadOnly = ["get", "list"];

    public static IReadOnlyList<ApiResource> All { get; } =
    [
        new(MetricsDocuments.Group, MetricsDocuments.Version, "nodes", string.Empty, "NodeMetrics", false, ReadOnly, [], [], []),
        new(MetricsDocuments.Group, MetricsDocuments.Version, "pods", string.Empty, "PodMetrics", true, ReadOnly, [], [], []),
    ];

    /// <summary>Whether <paramref name="resource"/> is one of them.</summary>
    public static bool Serves(ApiResource resource) => resource.Group == MetricsDocuments.Group && resource.Custom is null;
}
