using K3sLab.K3s.ApiServer;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Extensions;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sqlite;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Server;

/// <summary>
/// Runs the server role: bootstrap the data dir (certificates, tokens), write the admin kubeconfig where
/// <c>--write-kubeconfig</c> says, then serve HTTPS until cancelled (SIGINT/SIGTERM), shutting down gracefully.
/// </summary>
internal sealed partial class K3sServer(ServerSettings settings, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("k3s.server");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Log.Starting(_logger, Cli.RuntimeVersion.Version, settings.DataDir.Root);
        var boot = ServerBootstrap.Run(new ServerBootstrapOptions(
            settings.DataDir, settings.Token, settings.AgentToken, settings.NodeName, [settings.NodeIp], settings.TlsSans,
            settings.ClusterDomain, settings.ServiceCidr, settings.HttpsListenPort));
        using var tls = boot.Tls;

        var server = $"https://127.0.0.1:{settings.HttpsListenPort}";
        Kubeconfig.Write(settings.KubeconfigPath, Kubeconfig.Render(server, tls.ServerCa.Certificate, tls.Admin), settings.KubeconfigMode);
        Log.WroteKubeconfig(_logger, settings.KubeconfigPath);

        SqliteStore store;
        try
        {
            var path = settings.DatastoreEndpoint is { } endpoint ? SqliteFile.PathFromEndpoint(endpoint) : settings.DataDir.SqliteDatabase;
            store = SqliteStore.Open(new SqliteStoreOptions(path), loggers.CreateLogger("k3s.datastore"));
            Log.DatastoreOpened(_logger, path, store.CurrentRevision);
        }
        catch (StoreException e)
        {
            throw new BootstrapException($"the datastore cannot start: {e.Message}");
        }

        await using var ownedStore = store;
        var storage = new ObjectStorage(store);
        await using var compactor = new StoreCompactor(store, settings.CompactionInterval, TimeProvider.System, loggers.CreateLogger("k3s.compactor"));
        await DefaultNamespaces.EnsureAsync(storage, TimeProvider.System, cancellationToken);
        var advertise = settings.AdvertiseAddress ?? settings.NodeIp.ToString();
        await KubernetesService.EnsureAsync(storage, ApiHost.ServiceRange(storage, settings.ServiceCidr).First, advertise, settings.HttpsListenPort, TimeProvider.System, cancellationToken);
        await BootstrapPolicy.EnsureAsync(storage, TimeProvider.System, cancellationToken);
        await using var registry = await ResourceRegistry.StartAsync(storage, loggers.CreateLogger("k3s.apiextensions"), cancellationToken);
        await using var crdStatus = new CrdStatusController(storage, registry, TimeProvider.System, loggers.CreateLogger("k3s.apiextensions"));
        await using var policy = await RbacPolicyCache.StartAsync(storage, loggers.CreateLogger("k3s.rbac"), cancellationToken);
        await using var nodeGraph = await PodNodeGraph.StartAsync(storage, loggers.CreateLogger("k3s.authorizer"), cancellationToken);

        await using var serviceAccounts = await ObjectCache.StartAsync(storage, new ResourceKind(string.Empty, "serviceaccounts", true), loggers.CreateLogger("k3s.authenticator"), (_, _, _) => { }, cancellationToken);
        using var serviceKey = ServiceAccountKey.Ensure(settings.DataDir.ServerTls);
        var issuer = $"https://kubernetes.default.svc.{settings.ClusterDomain}";
        var serviceAccountTokens = new ServiceAccountTokens(serviceKey, issuer, [issuer, "k3s"], TimeProvider.System);
        await using var app = ApiHost.Build(
            new ApiHostOptions(settings.BindAddress, settings.HttpsListenPort, advertise, settings.ServiceCidr),
            tls,
            settings.DataDir,
            storage,
            registry,
            policy,
            nodeGraph,
            serviceAccountTokens,
            serviceAccounts,
            new Cli.LoggerFactoryProvider(loggers));
        await app.StartAsync(cancellationToken);
        Log.Listening(_logger, settings.BindAddress.ToString(), settings.HttpsListenPort);
        Log.TokenLocation(_logger, settings.DataDir.TokenFile);
        await using var kubelet = settings.DisableAgent ? null : StartKubelet(tls);

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
        return 0;
    }

    /// <summary>The server's own kubelet (k3s runs an agent inside every server unless <c>--disable-agent</c>), with the control-plane role labels.</summary>
    private Kubelet.Kubelet StartKubelet(ClusterTls tls)
    {
        var kubelet = new Kubelet.KubeletSettings(
            settings.NodeName,
            settings.NodeIp,
            settings.NodeExternalIp,
            settings.NodeLabels,
            settings.NodeTaints,
            ControlPlane: true,
            new Uri($"https://127.0.0.1:{settings.HttpsListenPort}"),
            settings.DataDir.Agent);
        Log.StartingKubelet(_logger, settings.NodeName);
        return Kubelet.Kubelet.Start(kubelet, tls.ClientCa, tls.ServerCa, TimeProvider.System, loggers);
    }
}
