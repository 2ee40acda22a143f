using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Controllers;
using K3sLab.K3s.Kubelet.Client;
using K3sLab.K3s.Kubelet.Node;
using K3sLab.K3s.Kubelet.Pods;
using K3sLab.K3s.Kubelet.Server;

namespace K3sLab.K3s.Kubelet;

/// <summary>
/// The kubelet of this node, run inside <c>k3s server</c> (unless <c>--disable-agent</c>) and, later, <c>k3s agent</c>.
/// It talks to the API server as a real kubelet does, over HTTPS with its own <c>system:node:&lt;name&gt;</c> client
/// certificate: <see cref="NodeHeartbeat"/> registers the Node, renews its Lease and reports its status;
/// <see cref="PodSync"/> runs the pods bound to the node through an <see cref="IContainerRuntime"/>: as processes
/// (<see cref="ProcessRuntime"/>), or not at all on a hollow node (<see cref="StartHollow"/>). Both loops
/// retry API errors forever and end only when the kubelet is disposed. <see cref="KubeletApi"/> serves the pods' logs
/// to the API server on <see cref="KubeletSettings.ServerEndpoint"/>.
/// </summary>
internal sealed class Kubelet : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly ApiClient _api;
    private readonly EventRecorder _events;
    private readonly Task _heartbeat;
    private readonly Task _pods;
    private readonly Task<KubeletApi?> _server;
    private int _disposed;

    private Kubelet(ApiClient api, EventRecorder events, NodeHeartbeat heartbeat, PodSync sync, Func<PodSync, CancellationToken, Task<KubeletApi?>> serve)
    {
        _api = api;
        _events = events;
        _stop = new CancellationTokenSource();
        var ct = _stop.Token;
        _heartbeat = Task.Run(() => heartbeat.RunAsync(ct), ct);
        _pods = Task.Run(
            async () =>
            {
                await heartbeat.Registered.Task.WaitAsync(ct);
                await sync.RunAsync(ct);
            },
            ct);
        _server = serve(sync, ct);
    }

    /// <summary>
    /// Starts the kubelet's loops with its client certificate (<c>system:node:&lt;name&gt;</c>, with its key) and the
    /// CA the API server's certificate must chain to; the Node is registered in the background once the API answers.
    /// The kubelet API serves with <paramref name="servingCertificate"/> (with its key) to clients whose certificates
    /// chain to <paramref name="clientCa"/>. The caller keeps ownership of the certificates.
    /// </summary>
    public static Kubelet Start(KubeletSettings settings, X509Certificate2 clientCertificate, X509Certificate2 serverCa, X509Certificate2 servingCertificate, X509Certificate2 clientCa, TimeProvider time, ILoggerFactory loggers)
    {
        Directory.CreateDirectory(settings.AgentDirectory);
        var api = new ApiClient(settings.ApiServer, clientCertificate, serverCa);
        var logger = loggers.CreateLogger("k3s.kubelet");
        var events = new EventRecorder(api, settings.NodeName, time, logger);
        return new Kubelet(
            api,
            events,
            new NodeHeartbeat(api, events, settings, time, logger),
            new PodSync(api, new ProcessRuntime(time), new Prober(), events, settings, time, logger),
            async (sync, ct) =>
            {
                try
                {
                    return await KubeletApi.StartAsync(settings, servingCertificate, clientCa, sync, time, logger, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The kubelet exits here; this one keeps running its pods, and only logs are out of reach. Any
                    // failure is logged: a kubelet API that silently never listens cost a day of flaky-test hunting.
                    KubeletApi.LogListenFailed(logger, settings.ServerEndpoint.ToString(), $"{e.GetType().Name}: {e.Message}");
                    return null;
                }
            });
    }

    /// <summary>
    /// Starts a kubemark-style hollow kubelet: the same registration, Lease, node status and pod loops against the
    /// API server, with <paramref name="runtime"/> in place of processes (<see cref="HollowRuntime"/>) and probes
    /// that pass. It serves no kubelet API, so logs, exec, attach and port-forward cannot reach its pods.
    /// The caller keeps ownership of the certificates.
    /// </summary>
    public static Kubelet StartHollow(KubeletSettings settings, X509Certificate2 clientCertificate, X509Certificate2 serverCa, IContainerRuntime runtime, TimeProvider time, ILogger logger)
    {
        var api = new ApiClient(settings.ApiServer, clientCertificate, serverCa);
        var events = new EventRecorder(api, settings.NodeName, time, logger);
        return new Kubelet(
            api,
            events,
            new NodeHeartbeat(api, events, settings, time, logger),
            new PodSync(api, runtime, PassingProber.Instance, events, settings, time, logger),
            (_, _) => Task.FromResult<KubeletApi?>(null));
    }

    /// <summary>Stops both loops; pod processes keep running, as a kubelet's containers outlive it. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_heartbeat, _pods);
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            if (await _server is { } server)
            {
                await server.DisposeAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Events still queued (a pod's last Killing) get up to 2 s to be written while the client is still open.
        await _events.DisposeAsync();
        _api.Dispose();
        _stop.Dispose();
    }
}
