using System.Data.Common;
using K3sLab.K3s.Store.Watch;

namespace K3sLab.K3s.Store.Sql;

/// <summary>
/// kine's single poller: reads the committed changes after the last published revision from the event table, in
/// order, and publishes them to the watch hub. The writer wakes it after each commit; the dialect's poll interval
/// catches anything else. Watchers therefore see exactly what is durable in the database. On a shared database each
/// tick first asks the database for its revision, so commits of other servers reach this server's watchers too. A
/// missing revision (its rows compacted away by another server before this one read them) is waited for briefly,
/// then skipped with a warning.
/// </summary>
internal sealed partial class EventPoller : IAsyncDisposable
{
    private const int PageRows = 2000;
    private static readonly TimeSpan GapWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly SqlDialect _dialect;
    private readonly Action<DbConnection>? _refresh;
    private readonly WatchHub _hub;
    private readonly Func<long> _committed;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Task _loop;
    private DbConnection? _db;
    private TimeSpan _backoff = MinBackoff;

    /// <summary>Starts polling; <paramref name="refresh"/>, on a shared database, reads the database's revision into what <paramref name="committed"/> answers before each poll.</summary>
    public EventPoller(SqlDialect dialect, Action<DbConnection>? refresh, WatchHub hub, Func<long> committed, TimeProvider time, ILogger logger)
    {
        _dialect = dialect;
        _refresh = refresh;
        _hub = hub;
        _committed = committed;
        _time = time;
        _logger = logger;
        _loop = Task.Run(LoopAsync);
    }

    public void Wake() => _wake.Release();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _db?.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        DateTimeOffset? gapSince = null;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(_dialect.PollInterval, token).ConfigureAwait(false);
                if (_refresh is not null)
                {
                    _refresh(_db ??= _dialect.OpenReader());
                }

                while (_hub.Revision < _committed() && !token.IsCancellationRequested)
                {
                    var published = _hub.Revision;
                    var target = _committed();
                    // One connection for the poller's life: its page cache survives from poll to poll.
                    _db ??= _dialect.OpenReader();
                    var (events, _) = SqlReads.Events(_db, published + 1, target, PageRows);

                    var contiguous = Contiguous(events, published);
                    if (contiguous.Count == 0)
                    {
                        // The next revision is missing: wait for it, then give up on it.
                        gapSince ??= _time.GetUtcNow();
                        if (_time.GetUtcNow() - gapSince < GapWait)
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, token).ConfigureAwait(false);
                            continue;
                        }

                        var skipTo = events.Count > 0 ? events[0].Revision - 1 : target;
                        LogGapSkipped(_logger, published + 1, skipTo);
                        _hub.Publish([], skipTo);
                        gapSince = null;
                        continue;
                    }

                    gapSince = null;
                    _hub.Publish(contiguous, contiguous[^1].Revision);
                }

                _backoff = MinBackoff;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (DbException e)
            {
                _db?.Dispose();
                _db = null;
                LogPollFailed(_logger, e.Message);
                try
                {
                    await Task.Delay(_backoff, _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>The leading events whose revisions follow <paramref name="published"/> without a hole.</summary>
    private static List<StoredEvent> Contiguous(List<StoredEvent> events, long published)
    {
        var expected = published + 1;
        var count = 0;
        foreach (var e in events)
        {
            if (e.Revision == expected)
            {
                count++;
                continue;
            }

            if (e.Revision == expected + 1)
            {
                expected++;
                count++;
                continue;
            }

            break;
        }

        return events.GetRange(0, count);
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Revisions {From}-{To} never appeared in the event log; watchers skip them")]
    private static partial void LogGapSkipped(ILogger logger, long from, long to);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Reading new events failed, will retry: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string reason);
}
