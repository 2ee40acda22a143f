using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Kubelet.Client;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Server;

/// <summary>
/// A server's kube-controller-manager and kube-scheduler, in process as k3s runs them. Each is elected across the
/// servers on its own Lease and writes through this server's API over HTTPS with its own client certificate
/// (<c>system:kube-controller-manager</c>, <c>system:kube-scheduler</c>); both read one set of shared caches.
/// </summary>
internal sealed class ControlPlane : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IDisposable> _clients = [];

    private ControlPlane()
    {
    }

    public ControllerManager? ControllerManager { get; private set; }

    public ControllerManager? Scheduler { get; private set; }

    /// <summary>
    /// The controllers kube-controller-manager runs here, those of them its <c>controllers</c> list enables, each under
    /// kube's name for it. As k3s passes them, <paramref name="serverCa"/> is its <c>--root-ca-file</c> and signs for
    /// <c>kubelet-serving</c> and <c>legacy-unknown</c>; <paramref name="clientCa"/> signs for
    /// <c>kube-apiserver-client</c> and <c>kube-apiserver-client-kubelet</c>.
    /// </summary>
    public static IReadOnlyList<IController> ControllerManagerControllers(ControllerSettings settings, CertificateAuthority clientCa, CertificateAuthority serverCa) =>
    [
        .. new (string Name, Func<IController> Create)[]
        {
            ("serviceaccount-controller", () => new Controllers.ServiceAccounts.ServiceAccountController()),
            ("root-ca-certificate-publisher-controller", () => new Controllers.Certificates.RootCaPublisher(serverCa.Certificate.ExportCertificatePem() + "\n")),
            ("certificatesigningrequest-signing-controller", () => Controllers.Certificates.CsrSigningController.ForK3s(clientCa, serverCa, settings.ClusterSigningDuration)),
            ("certificatesigningrequest-approving-controller", () => new Controllers.Certificates.CsrApprovingController()),
            ("certificatesigningrequest-cleaner-controller", () => new Controllers.Certificates.CsrCleanerController()),
            ("node-lifecycle-controller", () => new Controllers.NodeLifecycle.NodeLifecycleController(settings)),
            ("garbage-collector-controller", () => new Controllers.GarbageCollection.GarbageCollector()),
            ("daemonset-controller", () => new Controllers.DaemonSets.DaemonSetController()),
            ("job-controller", () => new Controllers.Jobs.JobController()),
            ("ttl-after-finished-controller", () => new Controllers.Jobs.TtlAfterFinishedController()),
            ("cronjob-controller", () => new Controllers.Jobs.CronJobController()),
            ("statefulset-controller", () => new Controllers.StatefulSets.StatefulSetController()),
            ("replicaset-controller", () => new Controllers.Apps.ReplicaSetController()),
            ("deployment-controller", () => new Controllers.Apps.DeploymentController()),
            ("horizontal-pod-autoscaler-controller", () => new Controllers.Autoscaling.HorizontalPodAutoscalerController()),
            ("disruption-controller", () => new Controllers.Disruption.DisruptionController()),
            ("endpoints-controller", () => new Controllers.Endpoints.EndpointsController()),
            ("persistentvolume-binder-controller", () => new Controllers.Storage.PersistentVolumeBinder()),
            ("persistentvolumeclaim-protection-controller", () => new Controllers.Storage.ClaimProtection()),
            ("persistentvolume-protection-controller", () => new Controllers.Storage.VolumeProtection()),
            ("servicelb", () => new Controllers.ServiceLb.ServiceLbController()),
            ("local-storage", () => new Controllers.Storage.LocalPathProvisioner(settings.LocalStoragePath ?? string.Empty)),
        }.Where(c => c.Name switch
        {
            "servicelb" => !settings.DisableServiceLb && settings.Selection.IsEnabled(c.Name),
            "local-storage" => settings.LocalStoragePath is not null && settings.Selection.IsEnabled(c.Name),
            _ => settings.Selection.IsEnabled(c.Name),
        }).Select(c => c.Create()),
    ];

    /// <summary>What kube-scheduler runs here.</summary>
    public static IReadOnlyList<IController> SchedulerControllers(ControllerSettings settings) =>
    [
        new Controllers.Scheduling.SchedulerController(),
    ];

    public static ControlPlane Start(ServerSettings settings, ObjectStorage storage, ClusterTls tls, Uri localApi, TimeProvider time, ILoggerFactory loggers)
    {
        var plane = new ControlPlane();
        var options = settings.Controllers;
        var identity = $"{settings.NodeName}_{Guid.NewGuid()}";
        var caches = new SharedCaches(storage, loggers);
        plane._owned.Add(caches);
        if (!options.DisableControllerManager)
        {
            var api = plane.Client(localApi, tls.Controller, tls, "kube-controller-manager");
            var events = new EventRecorder(api, settings.NodeName, time, loggers.CreateLogger("k3s.events"));
            plane.ControllerManager = new ControllerManager("kube-controller-manager", api, caches, events, ControllerManagerControllers(options, tls.ClientCa, tls.ServerCa), identity, options.ControllerManagerElection, time, loggers);
            plane._owned.Insert(0, events);
            plane._owned.Insert(0, plane.ControllerManager);
        }

        if (!options.DisableScheduler)
        {
            var api = plane.Client(localApi, tls.Scheduler, tls, "kube-scheduler");
            var events = new EventRecorder(api, settings.NodeName, time, loggers.CreateLogger("k3s.events"));
            plane.Scheduler = new ControllerManager("kube-scheduler", api, caches, events, SchedulerControllers(options), identity, options.SchedulerElection, time, loggers);
            plane._owned.Insert(0, events);
            plane._owned.Insert(0, plane.Scheduler);
        }

        return plane;
    }

    /// <summary>Stops the components (each releasing its lease), then the caches and clients.</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_owned.OfType<ControllerManager>().Select(o => o.DisposeAsync().AsTask()));
        foreach (var owned in _owned.Where(o => o is not Controllers.ControllerManager))
        {
            await owned.DisposeAsync();
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private ApiClient Client(Uri localApi, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, ClusterTls tls, string component)
    {
        var client = new ApiClient(localApi, certificate, tls.ServerCa.Certificate, component);
        _clients.Add(client);
        return client;
    }
}
