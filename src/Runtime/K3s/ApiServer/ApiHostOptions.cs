using System.Net;

namespace K3sLab.K3s.ApiServer;

/// <summary>Where the HTTPS listener binds (<c>--bind-address</c>, <c>--https-listen-port</c>), the address it advertises, and <c>--service-cidr</c>.</summary>
internal sealed record ApiHostOptions(IPAddress BindAddress, int Port, string AdvertiseAddress, string ServiceCidr = "10.43.0.0/16")
{
    /// <summary>What the supervisor endpoints serve; defaults to the default critical configuration without an embedded datastore.</summary>
    public Supervisor.SupervisorSettings? Supervisor { get; init; }

    /// <summary>Whether pods being created pass the ServiceAccount admission plugin.</summary>
    public bool ServiceAccountAdmission { get; init; } = true;

    /// <summary>What <c>kubectl get componentstatuses</c> reports; by default the datastore alone is checked and the scheduler and controller manager read as not started.</summary>
    public Components.ComponentStatuses? Components { get; init; }
}
