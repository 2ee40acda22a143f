using System.Net;

namespace K3sLab.K3s.ApiServer;

/// <summary>Where the HTTPS listener binds (<c>--bind-address</c>, <c>--https-listen-port</c>) and the address it advertises.</summary>
internal sealed record ApiHostOptions(IPAddress BindAddress, int Port, string AdvertiseAddress);
