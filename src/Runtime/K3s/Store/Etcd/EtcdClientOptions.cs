namespace K3sLab.K3s.Store.Etcd;

/// <summary>
/// How to reach an external etcd cluster: the endpoints of <c>--datastore-endpoint</c> and the TLS files of
/// <c>--datastore-cafile</c>, <c>--datastore-certfile</c> and <c>--datastore-keyfile</c>, with the client's time limits.
/// </summary>
internal sealed record EtcdClientOptions(EtcdEndpointList Endpoints)
{
    /// <summary>The CA that must have signed the members' serving certificates; null trusts the system roots.</summary>
    public string? CaFile { get; init; }

    /// <summary>The client certificate (PEM) presented to members that ask for one; needs <see cref="KeyFile"/>.</summary>
    public string? CertFile { get; init; }

    /// <summary>The client certificate's private key (PEM).</summary>
    public string? KeyFile { get; init; }

    /// <summary>The longest one call to one member may take before it fails with etcd's "request timed out".</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest opening a connection to one member may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long startup waits for the cluster to answer before it gives up (k3s is restarted by its supervisor).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the client asks for the cluster's revision, so <see cref="IRevisionedStore.CurrentRevision"/> follows other writers too.</summary>
    public TimeSpan RevisionRefresh { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the client reads the member list and makes the voters' client URLs its endpoints; zero (the default,
    /// as for k3s's <c>--datastore-endpoint</c>) keeps the flag's list. A <c>--disable-etcd</c> server sets it, so it
    /// follows the embedded store's members as they join and leave.
    /// </summary>
    public TimeSpan MembershipRefresh { get; init; } = TimeSpan.Zero;
}
