using K3sLab.K3s.ApiServer;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Extensions;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Replication;
using K3sLab.K3s.Server.Embedded;
using K3sLab.K3s.Server.Snapshots;
using K3sLab.K3s.Store;
using K3sLab.K3s.Supervisor;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Server;

/// <summary>
/// Runs the server role: bootstrap the data dir (certificates, tokens), write the admin kubeconfig where
/// <c>--write-kubeconfig</c> says, then serve HTTPS until cancelled (SIGINT/SIGTERM), shutting down gracefully.
/// </summary>
internal sealed partial class K3sServer(ServerSettings settings, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("k3s.server");
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _kubeletCertificate;
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _kubeletServing;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Log.Starting(_logger, Cli.RuntimeVersion.Version, settings.DataDir.Root);
        PlantedBugs.ThrowIfUnknown();
        if (PlantedBugs.Active is { } bug)
        {
            Log.PlantedBug(_logger, bug, PlantedBugs.Variable);
        }
        ClusterReset.CheckFlags(settings);
        ServerRoles.Check(settings, EmbeddedDatastore.HasData(settings.DataDir));
        if (settings.ClusterReset)
        {
            await ClusterReset.RunAsync(settings, loggers.CreateLogger("k3s.etcd"), cancellationToken);
            return 0;
        }

        var embedded = !settings.DisableEtcd && EmbeddedDatastore.Chosen(settings);
        var joinMembers = await JoinAsync(embedded || settings.DisableEtcd, cancellationToken);
        var bootstrapOptions = new ServerBootstrapOptions(
            settings.DataDir, settings.Token, settings.AgentToken, settings.NodeName, [settings.NodeIp], settings.TlsSans,
            settings.ClusterDomain, settings.ServiceCidr, settings.HttpsListenPort);
        var (shared, boot) = await BootstrapAsync(embedded || settings.DisableEtcd, bootstrapOptions, cancellationToken);
        using var tls = boot.Tls;

        var server = $"https://127.0.0.1:{settings.HttpsListenPort}";
        Kubeconfig.Write(settings.KubeconfigPath, Kubeconfig.Render(server, tls.ServerCa.Certificate, tls.Admin), settings.KubeconfigMode);
        Log.WroteKubeconfig(_logger, settings.KubeconfigPath);

        using var logging = new Cli.LoggerFactoryProvider(loggers);
        using var etcdTls = embedded || settings.DisableEtcd ? EtcdTls.Ensure(settings.DataDir.EtcdTls, settings.NodeName, [settings.NodeIp]) : null;
        ReplicatedMember? member = null;
        IRevisionedStore store;
        try
        {
            if (settings.DisableEtcd)
            {
                var endpoints = ClusterEtcdClient.Endpoints(joinMembers!, settings.ServerUrl!);
                (store, var description) = await ExternalDatastore.OpenAsync(ClusterEtcdClient.AsDatastore(settings, endpoints, etcdTls!), loggers, cancellationToken);
                Log.ClusterDatastoreOpened(_logger, description, store.CurrentRevision);
            }
            else if (etcdTls is not null)
            {
                ClusterReset.ClearFlag(settings.DataDir);
                member = await EmbeddedDatastore.StartAsync(settings, etcdTls, settings.ServerUrl, joinMembers, loggers, logging, cancellationToken);
                store = member.Store;
                Log.EmbeddedDatastoreStarted(_logger, settings.DataDir.EtcdMember, member.Host.Name);
            }
            else if (shared is not null)
            {
                store = shared;
            }
            else
            {
                (store, var description) = await ExternalDatastore.OpenAsync(settings, loggers, cancellationToken);
                Log.DatastoreOpened(_logger, description, store.CurrentRevision);
            }
        }
        catch (StoreException e)
        {
            throw new BootstrapException($"the datastore cannot start: {e.Message}");
        }

        await using var ownedMember = member;
        await using var ownedStore = member is null ? store as IAsyncDisposable : null;
        await using var snapshots = member is null || settings.Snapshots.Disabled ? null : StartSnapshots(store);
        if (settings.DisableApiServer)
        {
            return await ServeEtcdOnlyAsync(member!, tls, logging, cancellationToken);
        }

        var storage = new ObjectStorage(store);
        await using var compactor = new StoreCompactor(store, settings.CompactionInterval, TimeProvider.System, loggers.CreateLogger("k3s.compactor"));
        await DefaultNamespaces.EnsureAsync(storage, TimeProvider.System, cancellationToken);
        var advertise = settings.AdvertiseAddress ?? settings.NodeIp.ToString();
        await KubernetesService.EnsureAsync(storage, ApiHost.ServiceRange(storage, settings.ServiceCidr).First, advertise, settings.HttpsListenPort, TimeProvider.System, cancellationToken);
        await EnsureClusterDnsServiceAsync(storage, cancellationToken);
        await EnsureLocalStorageClassAsync(storage, cancellationToken);
        await BootstrapPolicy.EnsureAsync(storage, TimeProvider.System, cancellationToken);
        await using var registry = await ResourceRegistry.StartAsync(storage, loggers.CreateLogger("k3s.apiextensions"), cancellationToken,
            settings.Disabled.Contains("metrics-server") ? [] : ApiServer.ResourceMetrics.MetricsResources.All);
        await using var crdStatus = new CrdStatusController(storage, registry, TimeProvider.System, loggers.CreateLogger("k3s.apiextensions"));
        await using var apiServices = await ApiServer.Aggregation.ApiServiceRegistration.StartAsync(storage, registry, TimeProvider.System, loggers.CreateLogger("k3s.aggregator"), cancellationToken);
        await using var policy = await RbacPolicyCache.StartAsync(storage, loggers.CreateLogger("k3s.rbac"), cancellationToken);
        await using var nodeGraph = await PodNodeGraph.StartAsync(storage, loggers.CreateLogger("k3s.authorizer"), cancellationToken);
        await using var nodePasswords = await NodePasswordSecrets.StartAsync(storage, TimeProvider.System, loggers.CreateLogger("k3s.nodepassword"), cancellationToken);
        await using var memberRemoval = member is null ? null : await EtcdMemberRemoval.StartAsync(storage, new RaftCluster(member.Host), TimeProvider.System, loggers.CreateLogger("k3s.etcd"), cancellationToken);

        await using var serviceAccounts = await ObjectCache.StartAsync(storage, new ResourceKind(string.Empty, "serviceaccounts", true), loggers.CreateLogger("k3s.authenticator"), (_, _, _) => { }, cancellationToken);
        using var serviceKey = ServiceAccountKey.Ensure(settings.DataDir.ServerTls);
        var issuer = $"https://kubernetes.default.svc.{settings.ClusterDomain}";
        var serviceAccountTokens = new ServiceAccountTokens(serviceKey, issuer, [issuer, "k3s"], TimeProvider.System);
        var components = new ApiServer.Components.ComponentStatuses(storage.Store);
        await using var app = ApiHost.Build(
            new ApiHostOptions(settings.BindAddress, settings.HttpsListenPort, advertise, settings.ServiceCidr)
            {
                ServiceAccountAdmission = settings.ServiceAccountAdmission,
                Components = components,
                Supervisor = new SupervisorSettings(settings.Critical)
                {
                    DisableKubeProxy = settings.DisableKubeProxy,
                    Members = member is null ? null : new RaftCluster(member.Host).Members,
                    ApiServers = ct => ApiServerLeases.AddressesAsync(storage, ct),
                },
            },
            tls,
            settings.DataDir,
            storage,
            registry,
            policy,
            nodeGraph,
            serviceAccountTokens,
            serviceAccounts,
            logging);
        await app.StartAsync(cancellationToken);
        Log.Listening(_logger, settings.BindAddress.ToString(), settings.HttpsListenPort);
        Log.TokenLocation(_logger, settings.DataDir.TokenFile);
        await using var dnsRecords = settings.ClusterDnsEnabled ? await ClusterDns.ClusterRecords.StartAsync(storage, settings.ClusterDomain, TimeProvider.System, loggers.CreateLogger("k3s.dns"), cancellationToken) : null;
        await using var dns = dnsRecords is null ? null : StartClusterDns(dnsRecords, advertise);

        // As kube-apiserver's lease reconciler, a post-start hook: the server puts its address into the kubernetes and
        // kube-dns endpoints only once it answers on both, so that nobody is sent to a server still starting.
        await using var apiServerLeases = await ApiServerLeases.StartAsync(
            storage,
            advertise,
            settings.HttpsListenPort,
            TimeProvider.System,
            loggers.CreateLogger("k3s.endpoints"),
            cancellationToken,
            settings.ClusterDnsEnabled ? (addresses, ct) => ClusterDnsService.UpdateAsync(storage, addresses, TimeProvider.System, ct) : null);
        await using var controlPlane = ControlPlane.Start(settings, storage, tls, LocalApiUrl(), TimeProvider.System, loggers);
        components.Set(ApiServer.Components.ComponentStatuses.Scheduler, controlPlane.Scheduler is null ? "kube-scheduler does not run on this server (--disable-scheduler)" : null);
        components.Set(ApiServer.Components.ComponentStatuses.ControllerManager, controlPlane.ControllerManager is null ? "kube-controller-manager does not run on this server (--disable-controller-manager)" : null);
        await using var kubelet = settings.DisableAgent ? null : StartKubelet(tls, member?.Host.Name);
        using var proxyClient = settings.DisableAgent || settings.DisableKubeProxy ? null : new Kubelet.Client.ApiClient(LocalApiUrl(), tls.KubeProxy, tls.ServerCa.Certificate, "kube-proxy");
        await using var proxy = proxyClient is null ? null : Proxy.ServiceProxy.Start(proxyClient, settings.NodeName, TimeProvider.System, loggers.CreateLogger("k3s.proxy"));

        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Log.Stopping(_logger);
        }

        if (kubelet is not null)
        {
            await kubelet.DisposeAsync();
        }

        await app.StopAsync(CancellationToken.None);
        _kubeletCertificate?.Dispose();
        _kubeletServing?.Dispose();
        return 0;
    }

    /// <summary>
    /// A server given <c>--server</c> without datastore data of its own joins that server's cluster: trust its CA by
    /// the token, refuse a critical configuration mismatch, bring the shared certificates and keys, and read the
    /// member list the datastore joins through. Returns null when there is nothing to join.
    /// </summary>
    /// <summary>
    /// Settles the certificates and tokens. On a shared external datastore (etcd, PostgreSQL) the store opens first,
    /// so the cluster's bootstrap data stored there is loaded before the local bootstrap, or this server's stored
    /// after it (and adopted from another server that stored first); the open store is returned for the server to use.
    /// </summary>
    private async Task<(IRevisionedStore? Shared, ServerBootstrapResult Boot)> BootstrapAsync(bool embedded, ServerBootstrapOptions options, CancellationToken cancellationToken)
    {
        if (embedded || !DatastoreBootstrap.Applies(settings.DatastoreEndpoint))
        {
            return (null, ServerBootstrap.Run(options));
        }

        IRevisionedStore store;
        try
        {
            (store, var description) = await ExternalDatastore.OpenAsync(settings, loggers, cancellationToken);
            Log.DatastoreOpened(_logger, description, store.CurrentRevision);
        }
        catch (StoreException e)
        {
            throw new BootstrapException($"the datastore cannot start: {e.Message}");
        }

        try
        {
            var logger = loggers.CreateLogger("k3s.bootstrap");
            var save = await DatastoreBootstrap.LoadAsync(store, settings.DataDir, settings.Token, logger, cancellationToken);
            var boot = ServerBootstrap.Run(options);
            if (save && !await DatastoreBootstrap.SaveAsync(store, settings.DataDir, logger, cancellationToken))
            {
                boot.Tls.Dispose();
                boot = ServerBootstrap.Run(options);
            }

            return (store, boot);
        }
        catch (StoreException e)
        {
            await store.DisposeAsync();
            throw new BootstrapException($"the cluster's bootstrap data could not be read or stored in the datastore: {e.Message}");
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    private async Task<IReadOnlyList<Etcd.ClusterMember>?> JoinAsync(bool joinsEmbedded, CancellationToken cancellationToken)
    {
        if (settings.ServerUrl is not { } url || EmbeddedDatastore.HasData(settings.DataDir))
        {
            return null;
        }

        if (settings.Token is null)
        {
            throw new BootstrapException("--server needs --token (or K3S_TOKEN): the token of a server of the cluster to join");
        }

        if (!joinsEmbedded)
        {
            throw new BootstrapException("--server with --datastore-endpoint is not supported by this build: servers of an external datastore each point at it instead of joining a server");
        }

        JoinToken token;
        try
        {
            token = JoinToken.Parse(settings.Token);
        }
        catch (FormatException e)
        {
            throw new BootstrapException($"--token: {e.Message}");
        }

        Log.Joining(_logger, url.ToString());
        using var join = await ServerJoin.ConnectAsync(url, token, cancellationToken);
        await join.CheckConfigAsync(settings.Critical, cancellationToken);
        var members = await join.MembersAsync(cancellationToken);
        await join.FetchBootstrapAsync(settings.DataDir, cancellationToken);
        return members;
    }

    /// <summary>Scheduled snapshots of the embedded datastore into <c>--etcd-snapshot-dir</c>.</summary>
    private ScheduledSnapshots StartSnapshots(IRevisionedStore store) => ScheduledSnapshots.Start(
        store,
        new SnapshotDirectory(settings.Snapshots.Directory ?? Path.Combine(settings.DataDir.ServerDb, "snapshots")),
        settings.NodeName,
        settings.Snapshots,
        TimeProvider.System,
        loggers.CreateLogger("k3s.snapshots"));

    /// <summary>
    /// The kube-dns Service on <c>--cluster-dns</c>, or its removal under <c>--disable coredns</c>. A failure is logged,
    /// not fatal: the API serves without it, as a k3s server does when its CoreDNS manifest fails to apply.
    /// </summary>
    private async Task EnsureClusterDnsServiceAsync(ObjectStorage storage, CancellationToken cancellationToken)
    {
        try
        {
            if (settings.ClusterDnsEnabled)
            {
                await ClusterDnsService.EnsureAsync(storage, System.Net.IPAddress.Parse(settings.ClusterDns), TimeProvider.System, cancellationToken);
            }
            else
            {
                await ClusterDnsService.RemoveAsync(storage, cancellationToken);
            }
        }
        catch (Exception e) when (e is StoreException or ApiServer.Errors.ApiStatusException or FormatException)
        {
            Log.ClusterDnsServiceFailed(_logger, e.Message);
        }
    }

    /// <summary>The <c>local-path</c> StorageClass, or its removal under <c>--disable local-storage</c>; a failure is logged, not fatal.</summary>
    private async Task EnsureLocalStorageClassAsync(ObjectStorage storage, CancellationToken cancellationToken)
    {
        try
        {
            if (settings.Controllers.LocalStoragePath is not null)
            {
                await LocalStorageClass.EnsureAsync(storage, TimeProvider.System, cancellationToken);
            }
            else
            {
                await LocalStorageClass.RemoveAsync(storage, cancellationToken);
            }
        }
        catch (Exception e) when (e is StoreException or ApiServer.Errors.ApiStatusException)
        {
            Log.LocalStorageClassFailed(_logger, e.Message);
        }
    }

    /// <summary>
    /// The cluster DNS on port 53 of the advertised address, which the kube-dns EndpointSlice lists; other names go to
    /// the nameservers of this node's <c>/etc/resolv.conf</c>. Null (logged) when the port cannot be had.
    /// </summary>
    private ClusterDns.DnsServer? StartClusterDns(ClusterDns.ClusterRecords records, string advertise)
    {
        if (!System.Net.IPAddress.TryParse(advertise, out var address))
        {
            Log.ClusterDnsFailed(_logger, $"{advertise}:53", "the advertised address is not an IP address");
            return null;
        }

        var endpoint = new System.Net.IPEndPoint(address, 53);
        var resolvConf = File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : string.Empty;
        System.Net.IPAddress[] own = System.Net.IPAddress.TryParse(settings.ClusterDns, out var clusterDns) ? [address, clusterDns] : [address];
        var upstreams = ClusterDns.Upstreams.FromResolvConf(resolvConf, own);
        try
        {
            return ClusterDns.DnsServer.Start(endpoint, () => records.Current, upstreams, loggers.CreateLogger("k3s.dns"));
        }
        catch (System.Net.Sockets.SocketException e)
        {
            Log.ClusterDnsFailed(_logger, endpoint.ToString(), e.Message);
            return null;
        }
    }

    /// <summary>This server's API as its own components reach it (<see cref="LocalApiHost"/> and the HTTPS port).</summary>
    private Uri LocalApiUrl() => new($"https://{LocalApiHost()}:{settings.HttpsListenPort}");

    /// <summary>Where a local client reaches this server's API: its bind address, or loopback when it binds every address.</summary>
    private string LocalApiHost() =>
        settings.BindAddress.Equals(System.Net.IPAddress.Any) || settings.BindAddress.Equals(System.Net.IPAddress.IPv6Any) ? "127.0.0.1"
        : settings.BindAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{settings.BindAddress}]"
        : settings.BindAddress.ToString();

    /// <summary>
    /// The server's own kubelet (k3s runs an agent inside every server unless <c>--disable-agent</c>), with the
    /// control-plane role labels and, on an embedded-datastore server, the etcd role label and the member's name and
    /// address, by which deleting the Node removes the member.
    /// </summary>
    private Kubelet.Kubelet StartKubelet(ClusterTls tls, string? memberName)
    {
        var labels = new Dictionary<string, string>(settings.NodeLabels);
        var annotations = new Dictionary<string, string>();
        if (memberName is not null)
        {
            labels[EtcdMemberRemoval.EtcdRole] = "true";
            annotations[EtcdMemberRemoval.MemberNameAnnotation] = memberName;
            annotations[EtcdMemberRemoval.MemberAddressAnnotation] = settings.NodeIp.ToString();
        }

        var kubelet = new Kubelet.KubeletSettings(
            settings.NodeName,
            settings.NodeIp,
            settings.NodeExternalIp,
            labels,
            settings.NodeTaints,
            ControlPlane: true,
            LocalApiUrl(),
            settings.DataDir.Agent)
        {
            Annotations = annotations,
            InClusterApi = settings.DisableKubeProxy ? null : new Uri($"https://{Bootstrap.ServerBootstrap.FirstServiceAddress(settings.ServiceCidr)}:443"),
            ClusterDns = settings.DisableKubeProxy ? null : System.Net.IPAddress.Parse(settings.ClusterDns),
            ClusterDomain = settings.ClusterDomain,
            ServerAddress = settings.KubeletAddress,
            ServerPort = settings.KubeletPort,
            SyncFrequency = settings.KubeletSyncFrequency,
        };
        Log.StartingKubelet(_logger, settings.NodeName);
        _kubeletCertificate = Kubelet.Client.NodeCredentials.Ensure(settings.DataDir.Agent, settings.NodeName, tls.ClientCa);
        _kubeletServing = Kubelet.Client.NodeCredentials.EnsureServing(settings.DataDir.Agent, settings.NodeName, [settings.NodeIp, .. settings.NodeExternalIp is { } external ? [external] : Array.Empty<System.Net.IPAddress>()], tls.ServerCa);
        return Kubelet.Kubelet.Start(kubelet, _kubeletCertificate, tls.ServerCa.Certificate, _kubeletServing, tls.ClientCa.Certificate, TimeProvider.System, loggers);
    }
}
