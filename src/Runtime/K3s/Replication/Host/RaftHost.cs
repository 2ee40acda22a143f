using System.Threading.Channels;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication.Storage;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Store;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

/// <summary>
/// Runs one member of a Raft group around the pure <see cref="RaftNode"/>: a single loop owns the core and feeds it
/// ticks from <see cref="RaftHostOptions.Time"/>, messages from the peer server and proposals from clients; for each
/// <see cref="Ready"/> it persists to the WAL and snapshot files (fsync), then sends, then applies to the state
/// machine and the member table, in the order the Ready contract names, with the two relaxations etcd makes (a
/// leader's appends go out before its own fsync; a commit-only hard state rides with the next write: see
/// RaftHost.Persist.cs). Everything else talks to the loop through its input channel, so the core never sees two
/// threads.
/// </summary>
internal sealed partial class RaftHost : IAsyncDisposable
{
    private readonly RaftHostOptions _options;
    private readonly IReplicatedStateMachine _machine;
    private readonly MemberState _storage;
    private readonly PeerTransport _transport;
    private readonly ILogger _logger;
    private readonly Channel<HostInput> _inbox = Channel.CreateUnbounded<HostInput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly AppliedWaiters _applied = new();
    private readonly RaftNode _node;
    private Task? _loop;
    private ITimer? _ticker;
    private RaftStatus _status;
    private ulong _snapshotIndex;
    private readonly TaskCompletionSource<Exception> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Exception? _fatal;

    private RaftHost(RaftHostOptions options, IReplicatedStateMachine machine, MemberState storage, ulong clusterId, ConfState bootstrap, Snapshot? snapshot, ILogger logger)
    {
        _options = options;
        _machine = machine;
        _logger = logger;
        ClusterId = clusterId;
        _transport = new PeerTransport(options.MemberId, options.PeerTls, id => _inbox.Writer.TryWrite(new HostInput.Unreachable(id)), logger)
        {
            ClusterId = clusterId,
        };
        _transport.SnapshotSent = (id, ok) => _inbox.Writer.TryWrite(new HostInput.SnapshotSent(id, ok));
        _transport.PeerDown = id => _inbox.Writer.TryWrite(new HostInput.PeerDown(id));
        _transport.LoadSnapshot = LoadSnapshotDataAsync;
        var random = options.Seed is { } seed ? new Random(seed) : new Random();
        var hardState = storage.HardState ?? default;
        _writtenHardState = hardState;
        var entries = storage.Entries.Select(e => e.ToEntry()).ToList();
        if (snapshot is not null)
        {
            RestoreMachine(snapshot.Data);
            _snapshotIndex = snapshot.Index;
            _lastSnapshotBytes = snapshot.Data.Length;
            _applied.Advance(snapshot.Index);
        }

        // The recovered snapshot and entries live on in the core and the state machine; the copies read from disk go.
        _storage = storage with { Snapshot = null, Entries = [] };
        _node = new RaftNode(options.MemberId, bootstrap, options.Raft, random, hardState, snapshot is null ? null : WithoutData(snapshot), entries);
        _status = _node.GetStatus();
    }

    /// <summary>The cluster this member belongs to.</summary>
    public ulong ClusterId { get; }

    public ulong MemberId => _options.MemberId;

    /// <summary>This member's name.</summary>
    public string Name => _options.Name;

    /// <summary>How long a request may wait to commit.</summary>
    public TimeSpan RequestTimeout => _options.RequestTimeout;

    /// <summary>The election timeout: heartbeat interval times election ticks.</summary>
    public TimeSpan ElectionTimeout => _options.ElectionTimeout;

    /// <summary>The cluster's members as etcd lists them (replicated; equal on every member that applied as far).</summary>
    public MemberTable Members { get; } = new();

    /// <summary>The core's state after the last Ready; safe to read from any thread.</summary>
    public RaftStatus Status => Volatile.Read(ref _status);

    public ulong Leader => Status.Leader;

    public bool IsLeader => Status.Role == RaftRole.Leader;

    public ulong AppliedIndex => _applied.Applied;

    /// <summary>
    /// Bytes of this member's durable state, the nearest thing to etcd's database file: the newest snapshot file and
    /// the WAL's log after it. Older snapshots kept for fallback, the zeros preallocated in the WAL's current segment
    /// and its spare next segment are left out, so a fresh member reports kilobytes, not the 128 MiB or more of
    /// preallocated segments on its disk.
    /// </summary>
    public long StateBytes() => _storage.Snapshots.NewestBytes() + _storage.Wal.LogBytes();

    /// <summary>The WAL's counters (fsyncs, records, bytes), for status and benchmarks.</summary>
    public WalCounters WalCounters => _storage.Wal.Counters;

    /// <summary>Completes with the error when the member stops because it can no longer persist or apply the log.</summary>
    public Task<Exception> Failed => _failed.Task;

    /// <summary>The peer service's view of this member.</summary>
    public IPeerInbox Inbox { get; private set; } = null!;

    /// <summary>
    /// Creates a brand-new single-member cluster (k3s <c>--cluster-init</c>): new WAL, a bootstrap snapshot at
    /// index 0 naming this member the only voter, with its peer URLs.
    /// </summary>
    public static async Task<RaftHost> BootstrapAsync(RaftHostOptions options, ulong clusterId, IReadOnlyList<string> peerUrls, IReplicatedStateMachine machine, ILogger logger, CancellationToken cancellationToken)
    {
        var members = new MemberTable();
        members.Add(options.MemberId, peerUrls, isLearner: false);
        var conf = new ConfState([options.MemberId], []);
        var snapshot = new Snapshot(0, 0, conf, SnapshotData.Encode(members, machine));
        var dir = options.Directory;
        var wal = Wal.Create(dir.Wal, options.MemberId, clusterId, options.Wal, logger);
        var snapshots = new SnapshotStore(dir.Snap, logger);
        await snapshots.SaveAsync(ToFile(snapshot), cancellationToken).ConfigureAwait(false);
        var storage = new MemberState(wal, snapshots, null, null, [], []);
        return new RaftHost(options, machine, storage, clusterId, conf, snapshot, logger);
    }

    /// <summary>
    /// Creates a member that joins an existing cluster after a member added it (etcd MemberAdd as learner): it
    /// starts with no membership and learns it, and the state, from the leader.
    /// </summary>
    public static Task<RaftHost> JoinAsync(RaftHostOptions options, ulong clusterId, IReadOnlyList<ClusterMember> members, IReplicatedStateMachine machine, ILogger logger)
    {
        var wal = Wal.Create(options.Directory.Wal, options.MemberId, clusterId, options.Wal, logger);
        var storage = new MemberState(wal, new SnapshotStore(options.Directory.Snap, logger), null, null, [], []);
        var host = new RaftHost(options, machine, storage, clusterId, ConfState.Empty, null, logger);
        foreach (var m in members)
        {
            host.Members.Add(m.Id, m.PeerUrls, m.IsLearner);
        }

        return Task.FromResult(host);
    }

    /// <summary>Restarts a member from its data directory (WAL and snapshot files); its id comes from the WAL.</summary>
    public static async Task<RaftHost> RestartAsync(RaftHostOptions options, IReplicatedStateMachine machine, ILogger logger, CancellationToken cancellationToken)
    {
        var storage = await MemberStorage.OpenAsync(options.Directory, options.Wal, logger, cancellationToken).ConfigureAwait(false);
        var metadata = storage.Wal.Metadata;
        var snapshot = storage.Snapshot is { } file ? FromFile(file) : null;
        return new RaftHost(options with { MemberId = metadata.MemberId }, machine, storage, metadata.ClusterId, ConfState.Empty, snapshot, logger);
    }

    /// <summary>Starts the peer-facing inbox, the ticker and the loop.</summary>
    public async Task StartAsync()
    {
        Inbox = new HostInbox(this);
        await _transport.SetPeersAsync(Members.PeerUrls()).ConfigureAwait(false);
        _ticker = _options.Time.CreateTimer(_ => _inbox.Writer.TryWrite(new HostInput.Tick()), null, _options.TickInterval, _options.TickInterval);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Proposes encoded data on this member, which must lead; null when it does not (or no longer) lead.</summary>
    public Task<(ulong Term, ulong Index)?> ProposeAsLeaderAsync(byte[] data)
    {
        var done = new TaskCompletionSource<(ulong Term, ulong Index)?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new HostInput.Propose(data, done));
        return done.Task;
    }

    /// <summary>
    /// Gets <paramref name="data"/> proposed: on this member when it leads, otherwise through the leader. Returns
    /// when it was appended to the leader's log (not when committed). Fails with NoLeader when none is known.
    /// </summary>
    public async Task ProposeAsync(byte[] data, CancellationToken cancellationToken)
    {
        // Monotonic: a wall-clock jump must neither cut a request short nor let it wait forever.
        var started = _options.Time.GetTimestamp();
        while (true)
        {
            ThrowIfFailed();
            var leader = Leader;
            if (leader == MemberId)
            {
                if (await ProposeAsLeaderAsync(data).ConfigureAwait(false) is not null)
                {
                    return;
                }
            }
            else if (leader != RaftNode.None)
            {
                try
                {
                    if (await _transport.ForwardAsync(leader, data, cancellationToken).ConfigureAwait(false) is not null)
                    {
                        return;
                    }
                }
                catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded or Grpc.Core.StatusCode.Internal)
                {
                    // The leader went away mid-call; wait for the next one below.
                }
            }

            if (_options.Time.GetElapsedTime(started) >= _options.RequestTimeout)
            {
                throw leader == RaftNode.None
                    ? new StoreException(StoreError.NoLeader, "no leader is elected; the cluster may have lost quorum")
                    : new StoreException(StoreError.Timeout, $"the leader ({leader:x16}) did not accept the request in time");
            }

            await Task.Delay(_options.TickInterval, _options.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until a linearizable read may be served locally (etcd's ReadIndex), bounded by the request timeout.</summary>
    public async Task ReadBarrierAsync(CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        var done = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new HostInput.Read(done));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            var index = await done.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            await _applied.WaitAsync(index).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Leader == RaftNode.None
                ? new StoreException(StoreError.NoLeader, "no leader is elected; the cluster may have lost quorum")
                : new StoreException(StoreError.Timeout, "the leader did not confirm the read in time");
        }
    }

    /// <summary>Proposes a membership change on the leader (this member).</summary>
    public Task<ProposalResult> ProposeConfChangeAsync(ConfChange change)
    {
        var done = new TaskCompletionSource<ProposalResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new HostInput.ProposeConfChange(change, done));
        return done.Task;
    }

    /// <summary>Waits until the entry at <paramref name="index"/> has been applied here.</summary>
    public Task WaitAppliedAsync(ulong index, CancellationToken cancellationToken) => _applied.WaitAsync(index).WaitAsync(cancellationToken);

    /// <summary>Asks the core to hand leadership to <paramref name="target"/>; false when it refuses.</summary>
    public Task<bool> TransferLeadershipAsync(ulong target)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new HostInput.Transfer(target, done));
        return done.Task;
    }

    /// <summary>Runs <paramref name="action"/> on the loop (between Readies).</summary>
    public void RunOnLoop(Action action) => Post(new HostInput.Run(action));

    /// <summary>Renews a lease on the leader through the peer protocol.</summary>
    internal PeerTransport Transport => _transport;

    private void Post(HostInput input)
    {
        ThrowIfFailed();
        _inbox.Writer.TryWrite(input);
    }

    private void ThrowIfFailed()
    {
        if (_fatal is { } fatal)
        {
            throw new StoreException(StoreError.Unavailable, $"this member stopped after a fatal error: {fatal.Message}", fatal);
        }
    }

    private void RestoreMachine(byte[] data)
    {
        SnapshotData.Decode(data, Members, _machine);
    }

    private static SnapshotFile ToFile(Snapshot s) => new(s.Index, s.Term, s.ConfState.Voters, s.ConfState.Learners, s.Data);

    private static Snapshot FromFile(SnapshotFile f) => new(f.Index, f.Term, new ConfState(f.Voters, f.Learners), f.Data.ToArray());

    public async ValueTask DisposeAsync()
    {
        _ticker?.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _applied.FailAll(new StoreException(StoreError.Unavailable, "the member is shutting down"));
        try
        {
            await WaitSnapshotWriteAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A failed snapshot write was already reported on the loop; the member is stopping either way.
        }

        await _transport.DisposeAsync().ConfigureAwait(false);
        await _storage.Wal.DisposeAsync().ConfigureAwait(false);
        _snapshotWriteCancel?.Dispose();
        _stop.Dispose();
    }
}
