using K3sLab.K3s.Controllers.Election;

namespace K3sLab.K3s.Controllers;

/// <summary>
/// How a server runs its controller manager and scheduler: <c>--disable-controller-manager</c>,
/// <c>--disable-scheduler</c>, and the upstream flags this build honours from <c>--kube-controller-manager-arg</c>
/// and <c>--kube-scheduler-arg</c> (leader election timing, node monitoring, <c>controllers</c>).
/// </summary>
internal sealed record ControllerSettings
{
    public static ControllerSettings Default { get; } = new();

    public bool DisableControllerManager { get; init; }

    public bool DisableScheduler { get; init; }

    /// <summary>
    /// <c>--disable servicelb</c>: no ServiceLB controller (k3s runs it in its cloud controller manager; here it runs
    /// with kube-controller-manager's controllers, under the name <c>servicelb</c>, which <c>controllers</c> can also
    /// leave out).
    /// </summary>
    public bool DisableServiceLb { get; init; }

    /// <summary>
    /// Where the local-path provisioner puts volumes on their nodes (<c>--default-local-storage-path</c>, default
    /// <c>&lt;data-dir&gt;/storage</c>); null under <c>--disable local-storage</c>, when neither the provisioner nor its
    /// StorageClass exists.
    /// </summary>
    public string? LocalStoragePath { get; init; }

    /// <summary><c>controllers</c>: which of kube-controller-manager's controllers run (upstream <c>*</c>).</summary>
    public ControllerSelection Selection { get; init; } = ControllerSelection.All;

    /// <summary>
    /// <c>cluster-signing-duration</c>: the longest certificate the CSR signers issue; a request's
    /// <c>spec.expirationSeconds</c> may ask for less (upstream 8760h, a year).
    /// </summary>
    public TimeSpan ClusterSigningDuration { get; init; } = TimeSpan.FromHours(8760);

    public LeaderElectionSettings ControllerManagerElection { get; init; } = LeaderElectionSettings.Default;

    public LeaderElectionSettings SchedulerElection { get; init; } = LeaderElectionSettings.Default;

    /// <summary><c>node-monitor-grace-period</c>: how long a node's Lease may go unrenewed before it is marked <c>Ready=Unknown</c> (upstream 40 s).</summary>
    public TimeSpan NodeMonitorGracePeriod { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary><c>node-monitor-period</c>: how often node health is checked (upstream 5 s).</summary>
    public TimeSpan NodeMonitorPeriod { get; init; } = TimeSpan.FromSeconds(5);
}
