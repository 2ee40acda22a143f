using K3sLab.K3s.Bootstrap;

namespace K3sLab.K3s.Cli;

/// <summary>
/// The kube-apiserver flags this build honours from <c>--kube-apiserver-arg</c> (<c>key=value</c>, leading dashes
/// optional): <c>etcd-compaction-interval</c> (default 5m), and <c>enable-admission-plugins</c> /
/// <c>disable-admission-plugins</c>, checked against kube 1.33's plugin names in kube-apiserver's words. Of the
/// plugins, only <c>ServiceAccount</c> can be turned off here (as kube's own integration tests run without it);
/// naming another known plugin is logged as ignored. Any other flag is logged as ignored, so k3s configs still start.
/// </summary>
internal sealed record ApiServerArgs(TimeSpan CompactionInterval, bool ServiceAccountAdmission)
{
    private static readonly HashSet<string> KnownPlugins =
    [
        "AlwaysAdmit", "AlwaysDeny", "AlwaysPullImages", "CertificateApproval", "CertificateSigning", "CertificateSubjectRestriction",
        "ClusterTrustBundleAttest", "DefaultIngressClass", "DefaultStorageClass", "DefaultTolerationSeconds", "DenyServiceExternalIPs",
        "EventRateLimit", "ExtendedResourceToleration", "ImagePolicyWebhook", "LimitPodHardAntiAffinityTopology", "LimitRanger",
        "MutatingAdmissionPolicy", "MutatingAdmissionWebhook", "NamespaceAutoProvision", "NamespaceExists", "NamespaceLifecycle",
        "NodeRestriction", "OwnerReferencesPermissionEnforcement", "PersistentVolumeClaimResize", "PodNodeSelector", "PodSecurity",
        "PodTolerationRestriction", "Priority", "ResourceQuota", "RuntimeClass", "ServiceAccount", "StorageObjectInUseProtection",
        "TaintNodesByCondition", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook",
    ];

    public static ApiServerArgs Default { get; } = new(TimeSpan.FromMinutes(5), ServiceAccountAdmission: true);

    /// <exception cref="BootstrapException">A bad duration, an unknown plugin, or a plugin both enabled and disabled.</exception>
    public static ApiServerArgs Parse(string[] args, ILogger logger)
    {
        var result = Default;
        var enabled = new List<string>();
        var disabled = new List<string>();
        foreach (var arg in args)
        {
            var (key, value) = arg.TrimStart('-').Split('=', 2) is [var k, var v] ? (k, v) : (arg.TrimStart('-'), string.Empty);
            switch (key)
            {
                case "etcd-compaction-interval":
                    result = GoDuration.TryParse(value, out var interval) && interval >= TimeSpan.Zero
                        ? result with { CompactionInterval = interval }
                        : throw new BootstrapException($"--kube-apiserver-arg {arg}: {value} is not a duration such as 5m or 30s");
                    break;
                case "enable-admission-plugins":
                    enabled.AddRange(Plugins(value));
                    break;
                case "disable-admission-plugins":
                    disabled.AddRange(Plugins(value));
                    break;
                default:
                    RuntimeLogging.Ignored(logger, $"--kube-apiserver-arg {arg}: this build does not support the kube-apiserver flag {key}; ignored");
                    break;
            }
        }

        var errors = enabled.Where(p => !KnownPlugins.Contains(p)).Select(p => $"enable-admission-plugins plugin \"{p}\" is unknown")
            .Concat(disabled.Where(p => !KnownPlugins.Contains(p)).Select(p => $"disable-admission-plugins plugin \"{p}\" is unknown"))
            .ToList();
        var both = enabled.Intersect(disabled, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (both.Count > 0)
        {
            errors.Add($"[{string.Join(' ', both)}] in enable-admission-plugins and disable-admission-plugins overlapped");
        }

        if (errors.Count > 0)
        {
            throw new BootstrapException($"--kube-apiserver-arg: {string.Join("; ", errors)}");
        }

        foreach (var plugin in enabled.Concat(disabled).Where(p => p != "ServiceAccount").Distinct(StringComparer.Ordinal))
        {
            RuntimeLogging.Ignored(logger, $"--kube-apiserver-arg: this build does not switch the admission plugin {plugin}; ignored");
        }

        return disabled.Contains("ServiceAccount") ? result with { ServiceAccountAdmission = false } : result;
    }

    private static IEnumerable<string> Plugins(string list) => list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
