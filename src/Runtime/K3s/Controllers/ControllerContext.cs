using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers;

/// <summary>
/// What a controller is given: the shared caches it reads (this server's datastore, watched once), the API client it
/// writes through (HTTPS to this server as its own user, so admission, defaulting, validation and deletion rules apply
/// to controllers as to anyone), the event recorder, the clock and loggers.
/// </summary>
internal sealed record ControllerContext(SharedCaches Caches, ApiClient Api, EventRecorder Events, TimeProvider Time, ILoggerFactory Loggers);

/// <summary>A controller: runs until its token is cancelled (leadership lost or shutdown).</summary>
internal interface IController
{
    /// <summary>The name used in logs and <c>--controllers</c>-style reporting, e.g. <c>replicaset</c>.</summary>
    string Name { get; }

    Task RunAsync(ControllerContext context, CancellationToken ct);
}
