using K3sLab.K3s.Controllers.Election;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Controllers;

/// <summary>
/// One elected control-plane component (kube-controller-manager or kube-scheduler): while this server holds the
/// component's Lease it runs every controller, each supervised so a controller that ends or throws is logged and
/// restarted after 5 s rather than taking the others down; when leadership is lost or the server stops, all of them
/// are cancelled and awaited before the lease is given up.
/// </summary>
internal sealed partial class ControllerManager : IAsyncDisposable
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(5);
    private readonly IReadOnlyList<IController> _controllers;
    private readonly ControllerContext _context;
    private readonly ILogger _logger;
    private readonly LeaderElector _elector;

    public ControllerManager(string component, ApiClient api, SharedCaches caches, EventRecorder events, IReadOnlyList<IController> controllers, string identity, LeaderElectionSettings election, TimeProvider time, ILoggerFactory loggers)
    {
        _controllers = controllers;
        _logger = loggers.CreateLogger($"k3s.{component}");
        _context = new ControllerContext(caches, api, events, time, loggers);
        _elector = new LeaderElector(api, component, identity, election, RunControllersAsync, time, _logger);
    }

    /// <summary>Whether this server is the component's leader now.</summary>
    public bool IsLeader => _elector.IsLeader;

    public ValueTask DisposeAsync() => _elector.DisposeAsync();

    /// <summary>Runs the controllers until leadership ends; a component without controllers still holds its lease.</summary>
    private async Task RunControllersAsync(CancellationToken ct)
    {
        await Task.WhenAll(_controllers.Select(c => Task.Run(() => SuperviseAsync(c, ct), CancellationToken.None)));
        await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task SuperviseAsync(IController controller, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Log.Starting(_logger, controller.Name);
            try
            {
                await controller.RunAsync(_context, ct);
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                Log.Ended(_logger, controller.Name);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // One controller's bug must not stop the others; it is logged with its stack and restarted.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.Crashed(_logger, e, controller.Name);
            }

            try
            {
                await Task.Delay(RestartDelay, _context.Time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "Starting {Controller} controller")]
        public static partial void Starting(ILogger logger, string controller);

        [LoggerMessage(EventId = 4031, Level = LogLevel.Warning, Message = "The {Controller} controller ended by itself; restarting it in 5 s")]
        public static partial void Ended(ILogger logger, string controller);

        [LoggerMessage(EventId = 4032, Level = LogLevel.Error, Message = "The {Controller} controller crashed; restarting it in 5 s")]
        public static partial void Crashed(ILogger logger, Exception exception, string controller);
    }
}
