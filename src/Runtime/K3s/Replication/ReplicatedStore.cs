using System.Collections.Concurrent;
using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Watch;

namespace K3sLab.K3s.Replication;

/// <summary>
/// The HA datastore (k3s's embedded etcd): the revisioned store contract over a Raft group. Writes become log
/// entries; every member applies committed entries to its own <see cref="MvccState"/>, and the member that took a
/// client's request completes it from its own apply (the result is deterministic). Reads are linearizable through
/// ReadIndex unless the client asked for a serializable read; watches are fed from the local apply, like etcd's.
/// Leases expire only on the leader, which proposes their revocation.
/// </summary>
internal sealed partial class ReplicatedStore : IRevisionedStore, IWatchHistory, IReplicatedStateMachine
{
    private const int MaxHistoryEvents = 1000;

    private readonly object _stateGate = new();
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<CommandResult>> _waiters = new();
    private readonly MvccStateOptions _stateOptions;
    private readonly LeaderLessor _lessor;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private MvccState _state;
    private WatchHub _hub;
    private RaftHost? _host;
    private Task? _expiryLoop;
    private long _requestSequence;

    public ReplicatedStore(ILogger logger, TimeProvider time, MvccStateOptions? stateOptions = null)
    {
        _logger = logger;
        _stateOptions = stateOptions ?? new MvccStateOptions();
        _state = new MvccState(_stateOptions);
        _lessor = new LeaderLessor(time);
        _hub = new WatchHub(this, _state.Revision, logger);
        Time = time;
    }

    public TimeProvider Time { get; }

    /// <summary>The Raft member this store runs on; set once by <see cref="Attach"/>.</summary>
    public RaftHost Host => _host ?? throw new InvalidOperationException("the store is not attached to a Raft member yet");

    public long CurrentRevision
    {
        get
        {
            lock (_stateGate)
            {
                return _state.Revision;
            }
        }
    }

    public long CompactRevision
    {
        get
        {
            lock (_stateGate)
            {
                return _state.CompactRevision;
            }
        }
    }

    /// <summary>Binds the store to its member (the host applies to this store), then starts the lease expiry loop.</summary>
    public void Attach(RaftHost host)
    {
        _host = host;
        host.Leases = new LeaseAuthority(this);
        _expiryLoop = Task.Run(ExpiryLoopAsync);
    }

    public IStoreWatch Watch(WatchRequest request)
    {
        TxnValidation.ValidateRange(new RangeQuery(request.Range));
        return _hub.Add(request, request.StartRevision == 0 ? CurrentRevision + 1 : request.StartRevision);
    }

    public Task<(IReadOnlyList<StoredEvent> Events, long Through)> ReadAsync(long from, long to, CancellationToken cancellationToken)
    {
        lock (_stateGate)
        {
            return Task.FromResult(_state.History(from, to, MaxHistoryEvents));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_expiryLoop is not null)
        {
            await _expiryLoop.ConfigureAwait(false);
        }

        if (_host is not null)
        {
            await _host.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var waiter in _waiters.Values)
        {
            waiter.TrySetException(new StoreException(StoreError.Unavailable, "the datastore is shutting down"));
        }

        await _hub.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private ulong NextRequest() => (ulong)Interlocked.Increment(ref _requestSequence);
}
