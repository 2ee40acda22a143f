using Grpc.Core;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// etcd's rule for calls that carry the <c>hasleader: true</c> metadata (clientv3.WithRequireLeader; etcdctl watch and
/// the Kubernetes API server's watches send it). Such a call that starts while the member knows no leader fails at once
/// with Unavailable "etcdserver: no leader" (<see cref="RequireLeaderInterceptor"/>). A stream of that kind that is
/// already open (Watch, LeaseKeepAlive) is ended with the same error once the member has gone three election timeouts
/// in a row without a leader, so its client moves to a member that has one rather than wait on a cut-off member.
/// Calls without the metadata are not affected: a watch on a cut-off member stays open and gets the missed events
/// after the heal.
/// </summary>
internal sealed class LeaderLoss : IDisposable
{
    public const string MetadataKey = "hasleader";

    /// <summary>Leaderless checks in a row, one per election timeout, before open streams are ended (etcd's maxNoLeaderCnt).</summary>
    internal const int ChecksBeforeLoss = 3;

    private readonly IClusterView _cluster;
    private readonly ITimer _timer;
    private readonly object _gate = new();
    private CancellationTokenSource _lost = new();
    private int _leaderlessChecks;

    public LeaderLoss(IClusterView cluster, TimeProvider time)
    {
        _cluster = cluster;
        var interval = cluster.ElectionTimeout > TimeSpan.Zero ? cluster.ElectionTimeout : TimeSpan.FromSeconds(1);
        _timer = time.CreateTimer(_ => Check(), null, interval, interval);
    }

    /// <summary>Whether the member knows a leader now.</summary>
    public bool HasLeader => _cluster.Leader != 0;

    /// <summary>etcd's error for a require-leader call on a member without one.</summary>
    public static RpcException NoLeader() => new(new Status(StatusCode.Unavailable, "etcdserver: no leader"));

    /// <summary>Whether the call asked for a leader.</summary>
    public static bool IsRequired(ServerCallContext context) =>
        string.Equals(context.RequestHeaders.GetValue(MetadataKey), "true", StringComparison.Ordinal);

    /// <summary>
    /// For a stream that asked for a leader, a token that is cancelled when the call ends or the leader is lost (the
    /// caller disposes it); null for any other stream, which runs on the call's own token.
    /// </summary>
    public CancellationTokenSource? Link(ServerCallContext context)
    {
        if (!IsRequired(context))
        {
            return null;
        }

        lock (_gate)
        {
            return CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _lost.Token);
        }
    }

    /// <summary>One check, run every election timeout.</summary>
    internal void Check()
    {
        CancellationTokenSource? lost = null;
        lock (_gate)
        {
            if (HasLeader)
            {
                _leaderlessChecks = 0;
                return;
            }

            if (++_leaderlessChecks < ChecksBeforeLoss)
            {
                return;
            }

            _leaderlessChecks = 0;
            lost = _lost;
            _lost = new CancellationTokenSource();
        }

        // Streams linked before this point end; streams opened later wait for the next loss. The old source is left
        // to the collector: a stream may still be linking to its (already cancelled) token.
        lost.Cancel();
    }

    public void Dispose() => _timer.Dispose();
}
