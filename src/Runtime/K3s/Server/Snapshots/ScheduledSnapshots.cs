using K3sLab.K3s.Store;

namespace K3sLab.K3s.Server.Snapshots;

/// <summary>
/// The server's scheduled snapshots of its embedded datastore (<c>--etcd-snapshot-schedule-cron</c>, default
/// <c>0 */12 * * *</c>): at each time the schedule names it writes <c>etcd-snapshot-&lt;node&gt;-&lt;unix&gt;</c> to the
/// snapshot folder, then keeps the newest <c>--etcd-snapshot-retention</c> of that series (on-demand snapshots are
/// never pruned here). A failed snapshot is logged and the next one is still taken. Time comes from the injected
/// <see cref="TimeProvider"/>; k3s's up-to-5-second jitter is not added.
/// </summary>
internal sealed partial class ScheduledSnapshots : IAsyncDisposable
{
    /// <summary>The longest single timer wait; the next time is worked out again after it.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(12);

    private readonly IRevisionedStore _store;
    private readonly SnapshotDirectory _directory;
    private readonly string _nodeName;
    private readonly string _prefix;
    private readonly CronSchedule _schedule;
    private readonly int _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private ScheduledSnapshots(IRevisionedStore store, SnapshotDirectory directory, string nodeName, SnapshotSettings settings, TimeProvider time, ILogger logger)
    {
        _store = store;
        _directory = directory;
        _nodeName = nodeName;
        _prefix = settings.Prefix;
        _schedule = settings.Schedule;
        _retention = settings.Retention;
        _time = time;
        _logger = logger;
    }

    /// <summary>Starts the schedule; dispose to stop it (a snapshot being written is cancelled and its temporary file removed).</summary>
    public static ScheduledSnapshots Start(IRevisionedStore store, SnapshotDirectory directory, string nodeName, SnapshotSettings settings, TimeProvider time, ILogger logger)
    {
        var snapshots = new ScheduledSnapshots(store, directory, nodeName, settings, time, logger);
        snapshots._loop = Task.Run(snapshots.RunAsync);
        Log.Scheduled(logger, settings.Schedule.Expression, directory.Path, settings.Retention);
        return snapshots;
    }

    /// <summary>Takes one scheduled snapshot now and applies retention; returns its name.</summary>
    internal async Task<string> TakeAsync(CancellationToken cancellationToken)
    {
        var name = SnapshotName.Create(_prefix, _nodeName, _time.GetUtcNow());
        await DatastoreSnapshotFile.WriteAsync(_directory.PathOf(name), _store.SnapshotAsync, cancellationToken).ConfigureAwait(false);
        Log.Saved(_logger, name, _directory.Path);
        foreach (var deleted in _directory.Prune(SnapshotName.Series(_prefix, _nodeName), _retention))
        {
            Log.Pruned(_logger, deleted);
        }

        return name;
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            if (_schedule.Next(now) is not { } next)
            {
                Log.NeverDue(_logger, _schedule.Expression);
                return;
            }

            try
            {
                var wait = next - now;
                await Task.Delay(wait > MaxWait ? MaxWait : wait, _time, token).ConfigureAwait(false);
                if (_time.GetUtcNow() >= next)
                {
                    await TakeAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreException)
            {
                Log.Failed(_logger, e.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
