using Grpc.Core;
using Wire = K3sLab.K3s.Etcd.Wire;

namespace K3sLab.K3s.Store.Etcd;

/// <summary>
/// The store contract over a real, external etcd cluster (k3s's <c>--datastore-endpoint https://...</c>), through
/// etcd's own v3 gRPC API: every call goes to the preferred member and, when that member cannot take it, to the next
/// one (reads always; writes only when the first member never received them). Every response header advances
/// <see cref="CurrentRevision"/>, as do watch events and a once-a-second revision read, so the API server's
/// "too large resource version" check and its "watch from now" follow writes made through other servers too.
/// </summary>
/// <remarks>
/// Every call asks the member to refuse it when it knows no leader (etcd's <c>hasleader</c> metadata, as
/// kube-apiserver's client sets it), so a cluster without quorum fails calls at once with "etcdserver: no leader"
/// instead of holding them; each call to one member is bounded by <see cref="EtcdClientOptions.RequestTimeout"/>.
/// Thread-safety: every member may be called concurrently.
/// </remarks>
internal sealed partial class EtcdClientStore : IRevisionedStore
{
    private readonly EtcdMembers _members;
    private readonly EtcdClientOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _refresh;
    private readonly Task _follow;
    private long _revision;
    private long _compacted;

    private EtcdClientStore(EtcdMembers members, EtcdClientOptions options, ILogger logger, long revision, bool progressOrdered)
    {
        _members = members;
        _options = options;
        _logger = logger;
        _revision = revision;
        ProgressOrdered = progressOrdered;
        _refresh = options.RevisionRefresh > TimeSpan.Zero ? Task.Run(RefreshLoopAsync) : Task.CompletedTask;
        _follow = options.MembershipRefresh > TimeSpan.Zero ? Task.Run(FollowMembershipAsync) : Task.CompletedTask;
    }

    public long CurrentRevision => Interlocked.Read(ref _revision);

    /// <summary>True when the members order progress notifications after the events they cover (see <see cref="EtcdVersion"/>).</summary>
    internal bool ProgressOrdered { get; }

    internal EtcdMembers Members => _members;

    internal ILogger Logger => _logger;

    /// <summary>
    /// Connects to the cluster: waits, with back-off, until some member answers Status and knows a leader, at most
    /// <see cref="EtcdClientOptions.StartupTimeout"/>; throws a <see cref="StoreException"/> that names every endpoint
    /// (redacted) and why it failed: unreachable, TLS refused (and which side), or the wrong scheme.
    /// </summary>
    public static async Task<EtcdClientStore> ConnectAsync(EtcdClientOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var members = new EtcdMembers(options);
        try
        {
            var status = await EtcdStartup.WaitForClusterAsync(members, options, logger, cancellationToken).ConfigureAwait(false);
            Log.Connected(logger, members.Describe(), status.Version, status.Header.Revision);
            var ordered = EtcdVersion.OrdersProgressNotifications(status.Version);
            if (!ordered)
            {
                Log.ProgressUntrusted(logger, status.Version);
            }

            return new EtcdClientStore(members, options, logger, status.Header.Revision, ordered);
        }
        catch
        {
            members.Dispose();
            throw;
        }
    }

    /// <summary>Takes a revision a member reported: the store's revision only moves forward.</summary>
    internal void Observe(Wire.ResponseHeader? header)
    {
        if (header is not null)
        {
            Observe(header.Revision);
        }
    }

    internal void Observe(long revision)
    {
        var seen = Interlocked.Read(ref _revision);
        while (revision > seen)
        {
            var previous = Interlocked.CompareExchange(ref _revision, revision, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    internal void ObserveCompacted(long revision)
    {
        var seen = Interlocked.Read(ref _compacted);
        while (revision > seen && Interlocked.CompareExchange(ref _compacted, revision, seen) != seen)
        {
            seen = Interlocked.Read(ref _compacted);
        }
    }

    /// <summary>The pauses before a member that answered "no leader" is asked again (1.5 s in all).</summary>
    internal static readonly TimeSpan[] ElectionPauses = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800)];

    /// <summary>Options for one call to one member: bounded by the request timeout, refused by a member without a leader.</summary>
    internal CallOptions CallOptions(CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        new(RequireLeader(), timeout == Timeout.InfiniteTimeSpan ? null : DateTime.UtcNow + (timeout ?? _options.RequestTimeout), cancellationToken);

    /// <summary>etcd's <c>hasleader</c> metadata (clientv3.WithRequireLeader).</summary>
    internal static Metadata RequireLeader() => new() { { "hasleader", "true" } };

    /// <summary>
    /// Runs <paramref name="call"/> on the preferred member, then on the others in turn while the failure allows it
    /// (<see cref="EtcdFailure.TryNextEndpoint"/>); the last failure is thrown as a <see cref="StoreException"/>.
    /// </summary>
    internal async Task<T> CallAsync<T>(string what, bool idempotent, Func<EtcdMember, CallOptions, Task<T>> call, CancellationToken cancellationToken)
    {
        var members = _members.Current;
        var start = EtcdMembers.IndexOf(members, _members.Preferred);
        EtcdFailure? last = null;

        // What a member that was reached said ("no leader", "request timed out") tells the caller more than a refused connection.
        EtcdFailure? reached = null;
        for (var attempt = 0; attempt < members.Count; attempt++)
        {
            var member = members[(start + attempt) % members.Count];
            try
            {
                return await WaitingOutElectionAsync(() => call(member, CallOptions(cancellationToken)), Task.Delay, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                last = EtcdRpcErrors.Classify(e, member.Display);
                if (!EtcdRpcErrors.IsConnectFailure(e.Status.DebugException))
                {
                    reached = last;
                }

                if (last.Exception.Error == StoreError.Compacted)
                {
                    throw await CompactedAsync(last.Exception, cancellationToken).ConfigureAwait(false);
                }

                if (!last.TryNextEndpoint(idempotent) || attempt == members.Count - 1)
                {
                    if (last.MemberFault)
                    {
                        _members.Failed(member);
                    }

                    throw (reached ?? last).Exception;
                }

                _members.Failed(member);
                Log.TryingNextMember(_logger, what, member.Display, last.Exception.Message);
            }
            catch (RpcException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }

        throw last?.Exception ?? new StoreException(StoreError.Unavailable, $"etcd {_members.Describe()}: no member to call");
    }

    /// <summary>
    /// Runs one member's <paramref name="attempt"/>, asking again after each pause of <see cref="ElectionPauses"/>
    /// while the member answers "no leader". A member refuses such a call before proposing it, so even a write may be
    /// repeated; an election after a leader's death takes 0.2-2 s, and asking the same member again is what gets the
    /// answer then: moving straight on would spend the call on the other members, which have no leader either, and on
    /// the dead one, whose address may take seconds to fail. After the last pause the "no leader" goes to the caller.
    /// </summary>
    internal static async Task<T> WaitingOutElectionAsync<T>(Func<Task<T>> attempt, Func<TimeSpan, CancellationToken, Task> pause, CancellationToken cancellationToken)
    {
        foreach (var wait in ElectionPauses)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested && EtcdRpcErrors.KnownEtcdError(e.StatusCode, e.Status.Detail) == StoreError.NoLeader)
            {
                await pause(wait, cancellationToken).ConfigureAwait(false);
            }
        }

        return await attempt().ConfigureAwait(false);
    }

    public IStoreWatch Watch(WatchRequest request)
    {
        TxnValidation.ValidateRange(new RangeQuery(request.Range));
        return new EtcdClientWatch(this, request);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _refresh.ConfigureAwait(false);
        await _follow.ConfigureAwait(false);
        _members.Dispose();
        _stop.Dispose();
    }

    /// <summary>Keeps <see cref="CurrentRevision"/> current with writes made through other servers, and logs when the cluster stops and starts answering.</summary>
    private async Task RefreshLoopAsync()
    {
        var healthy = true;
        var probe = new Wire.RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("/registry/health"), CountOnly = true };
        using var timer = new PeriodicTimer(_options.RevisionRefresh);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    var response = await CallAsync("revision read", idempotent: true, (m, o) => m.Kv.RangeAsync(probe, o).ResponseAsync, _stop.Token).ConfigureAwait(false);
                    Observe(response.Header);
                    if (!healthy)
                    {
                        healthy = true;
                        Log.ClusterAnswers(_logger, _members.Describe(), response.Header.Revision);
                    }
                }
                catch (StoreException e)
                {
                    if (healthy)
                    {
                        healthy = false;
                        Log.ClusterFails(_logger, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }
}
