using K3sLab.K3s.ApiServer.Storage;

namespace K3sLab.K3s.Controllers.Autoscaling;

/// <summary>
/// Where a <c>scaleTargetRef</c>'s scale subresource lives: the built-in scalable kinds, found by group and kind
/// (the version in <c>apiVersion</c> does not matter, as with upstream's REST mapper) and served at their
/// preferred version. Anything else fails as upstream's mapper fails. Pure.
/// </summary>
internal static class ScaleTargets
{
    private static readonly Dictionary<(string Group, string Kind), ResourceKind> Kinds = new()
    {
        [("apps", "Deployment")] = ApiPaths.Deployments,
        [("apps", "ReplicaSet")] = ApiPaths.ReplicaSets,
        [("apps", "StatefulSet")] = ApiPaths.StatefulSets,
        [(string.Empty, "ReplicationController")] = ApiPaths.ReplicationControllers,
    };

    /// <summary>The target's group and plural resource and its <c>/scale</c> path, or the error to report as FailedGetScale.</summary>
    public static (string Group, string Resource, string? Path, string? Error) Resolve(string apiVersion, string kind, string ns, string name)
    {
        var parts = apiVersion.Split('/');
        if (parts.Length > 2)
        {
            return (string.Empty, string.Empty, null, $"unexpected GroupVersion string: {apiVersion}");
        }

        var group = parts.Length == 2 ? parts[0] : string.Empty;
        if (!Kinds.TryGetValue((group, kind), out var target))
        {
            return (group, string.Empty, null, $"no matches for kind \"{kind}\" in group \"{group}\"");
        }

        return (group, target.Resource, ApiPaths.For(target, ns, name, "scale"), null);
    }
}
