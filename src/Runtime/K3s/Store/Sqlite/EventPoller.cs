using Microsoft.Data.Sqlite;
using K3sLab.K3s.Store.Watch;

namespace K3sLab.K3s.Store.Sqlite;

/// <summary>
/// kine's single poller: reads the committed changes after the last published revision from the event table, in
/// order, and publishes them to the watch hub. The writer wakes it after each commit; a one-second tick catches
/// anything else. Watchers therefore see exactly what is durable in the file. A missing revision (possible only
/// when several processes share one SQL database) is waited for briefly, then skipped with a warning: the
/// transaction that held it did not commit.
/// </summary>
internal sealed partial class EventPoller : IAsyncDisposable
{
    private const int PageRows = 2000;
    private static readonly TimeSpan GapWait = TimeSpan.FromSeconds(1);

    private readonly string _connectionString;
    private readonly WatchHub _hub;
    private readonly Func<long> _committed;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Task _loop;
    private SqliteConnection? _db;

    public EventPoller(string connectionString, WatchHub hub, Func<long> committed, TimeProvider time, ILogger logger)
    {
        _connectionString = connectionString;
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
                await _wake.WaitAsync(TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
                while (_hub.Revision < _committed() && !token.IsCancellationRequested)
                {
                    var published = _hub.Revision;
                    var target = _committed();
                    if (_db is null)
                    {
                        // One connection for the poller's life: its page cache survives from poll to poll.
                        _db = new SqliteConnection(_connectionString);
                        _db.Open();
                        SqliteSchema.Execute(_db, SqliteSchema.ReaderPragmas);
                    }

                    var (events, _) = SqliteReads.Events(_db, published + 1, target, PageRows);

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
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (SqliteException e)
            {
                _db?.Dispose();
                _db = null;
                LogPollFailed(_logger, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200), _time, CancellationToken.None).ConfigureAwait(false);
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
