namespace K3sLab.K3s.ApiServer.Aggregation;

/// <summary>
/// The <c>groupPriorityMinimum</c> and <c>versionPriority</c> kube-apiserver 1.33 gives the APIServices it registers
/// for its own group versions (its fixed table), for every version of a CustomResourceDefinition (1000 and 100, below
/// every built-in group), and the values k3s's metrics-server manifest sets for <c>metrics.k8s.io</c> (100 and 100).
/// A built-in group version missing from kube's table gets no APIService, as kube-apiserver skips it.
/// </summary>
internal static class ApiServicePriorities
{
    public const int CustomGroup = 1000;
    public const int CustomVersion = 100;

    private static readonly Dictionary<(string Group, string Version), (int Group, int Version)> BuiltIn = new()
    {
        [(string.Empty, "v1")] = (18000, 1),
        [("apps", "v1")] = (17800, 15),
        [("events.k8s.io", "v1")] = (17750, 15),
        [("authentication.k8s.io", "v1")] = (17700, 15),
        [("authorization.k8s.io", "v1")] = (17600, 15),
        [("autoscaling", "v1")] = (17500, 15),
        [("autoscaling", "v2")] = (17500, 30),
        [("batch", "v1")] = (17400, 15),
        [("certificates.k8s.io", "v1")] = (17300, 15),
        [("networking.k8s.io", "v1")] = (17200, 15),
        [("policy", "v1")] = (17100, 15),
        [("rbac.authorization.k8s.io", "v1")] = (17000, 15),
        [("storage.k8s.io", "v1")] = (16800, 15),
        [("apiextensions.k8s.io", "v1")] = (16700, 15),
        [("admissionregistration.k8s.io", "v1")] = (16700, 15),
        [("scheduling.k8s.io", "v1")] = (16600, 15),
        [("coordination.k8s.io", "v1")] = (16500, 15),
        [("node.k8s.io", "v1")] = (16300, 15),
        [("discovery.k8s.io", "v1")] = (16200, 15),
        [("flowcontrol.apiserver.k8s.io", "v1")] = (16100, 21),
        [("metrics.k8s.io", "v1beta1")] = (100, 100),
    };

    /// <summary>The priorities of a served group version; null for a built-in one kube-apiserver does not register.</summary>
    public static (int Group, int Version)? For(string group, string version, bool custom) =>
        custom ? (CustomGroup, CustomVersion) : BuiltIn.TryGetValue((group, version), out var found) ? found : null;
}
