using System.Security.Cryptography;
using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.State;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication;

internal sealed partial class ReplicatedStore
{
    private static readonly TimeSpan ExpiryCheck = TimeSpan.FromMilliseconds(500);

    public async Task<LeaseGrant> GrantLeaseAsync(long id, long ttlSeconds, CancellationToken cancellationToken)
    {
        // Members must not choose randomly while applying, so the ID is chosen here, before proposing.
        if (id == 0)
        {
            lock (_stateGate)
            {
                do
                {
                    id = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
                }
                while (id == 0 || _state.LeaseTtl(id) is not null);
            }
        }

        var result = await ProposeAsync(new LeaseGrantCommand(id, ttlSeconds), cancellationToken).ConfigureAwait(false);
        return Unwrap<LeaseGranted>(result).Grant;
    }

    public async Task<long> RevokeLeaseAsync(long id, CancellationToken cancellationToken)
    {
        var result = await ProposeAsync(new LeaseRevokeCommand(id), cancellationToken).ConfigureAwait(false);
        return Unwrap<LeaseRevoked>(result).Revision;
    }

    /// <summary>Renews on the leader (here, or through the peer protocol); 0 when the lease does not exist.</summary>
    public async Task<long> KeepAliveAsync(long id, CancellationToken cancellationToken)
    {
        ThrowIfLearner();
        var started = Time.GetTimestamp();
        while (true)
        {
            if (_lessor.KeepAlive(id) is { } ttl)
            {
                return ttl;
            }

            var leader = Host.Leader;
            if (leader != 0 && leader != Host.MemberId)
            {
                var answer = await TryLeaderAsync(() => Host.Transport.KeepAliveAsync(leader, id, cancellationToken)).ConfigureAwait(false);
                if (answer is { NotLeader: false })
                {
                    return answer.Ttl;
                }
            }

            await WaitForLeaderAsync(started, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<LeaseStatus?> TimeToLiveAsync(long id, bool withKeys, CancellationToken cancellationToken)
    {
        ThrowIfLearner();
        var started = Time.GetTimestamp();
        while (true)
        {
            if (_lessor.IsLeading)
            {
                var local = LocalTimeToLive(id, withKeys);
                if (!local.NotLeader)
                {
                    return local.Found ? new LeaseStatus(id, local.Ttl, local.GrantedTtl, local.Keys) : null;
                }
            }

            var leader = Host.Leader;
            if (leader != 0 && leader != Host.MemberId)
            {
                var answer = await TryLeaderAsync(() => Host.Transport.TimeToLiveAsync(leader, id, withKeys, cancellationToken)).ConfigureAwait(false);
                if (answer is { NotLeader: false })
                {
                    return answer.Found ? new LeaseStatus(id, answer.Ttl, answer.GrantedTtl, [.. answer.Keys.Select(k => k.ToByteArray())]) : null;
                }
            }

            await WaitForLeaderAsync(started, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<long>> LeasesAsync(CancellationToken cancellationToken)
    {
        await BarrierAsync(serializable: false, cancellationToken).ConfigureAwait(false);
        lock (_stateGate)
        {
            return _state.LeaseIds();
        }
    }

    private LeaseAnswer LocalTimeToLive(long id, bool withKeys)
    {
        long? granted;
        IReadOnlyList<byte[]> keys;
        lock (_stateGate)
        {
            granted = _state.LeaseTtl(id);
            keys = granted is not null && withKeys ? _state.LeaseKeys(id) : [];
        }

        if (granted is null)
        {
            return new LeaseAnswer(false, false, 0, 0, []);
        }

        return _lessor.Remaining(id) is { } remaining ? new LeaseAnswer(false, true, remaining, granted.Value, keys) : new LeaseAnswer(true, false, 0, 0, []);
    }

    private static async Task<Wire.LeaseResponse?> TryLeaderAsync(Func<Task<Wire.LeaseResponse?>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException)
        {
            return null;
        }
    }

    private async Task WaitForLeaderAsync(long started, CancellationToken cancellationToken)
    {
        if (Time.GetElapsedTime(started) >= Host.RequestTimeout)
        {
            throw Host.Leader == 0
                ? new StoreException(StoreError.NoLeader, "no leader is elected; the cluster may have lost quorum")
                : new StoreException(StoreError.Timeout, "the leader did not answer in time");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(100), Time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>On the leader: proposes the revocation of every expired lease (once per check; a lost proposal is retried).</summary>
    private async Task ExpiryLoopAsync()
    {
        using var timer = new PeriodicTimer(ExpiryCheck, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                foreach (var id in _lessor.Expired())
                {
                    try
                    {
                        await ProposeAsync(new LeaseRevokeCommand(id), _stop.Token).ConfigureAwait(false);
                    }
                    catch (StoreException e)
                    {
                        Log.ExpiryFailed(_logger, id, e.Message);
                        break;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The leader's lease clock as the peer protocol sees it.</summary>
    private sealed class LeaseAuthority(ReplicatedStore store) : ILeaderLeases
    {
        public long? KeepAliveAsLeader(long id) => store._lessor.KeepAlive(id);

        public LeaseAnswer TimeToLiveAsLeader(long id, bool withKeys) =>
            store._lessor.IsLeading ? store.LocalTimeToLive(id, withKeys) : new LeaseAnswer(true, false, 0, 0, []);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4200, Level = LogLevel.Warning, Message = "Could not revoke expired lease {Lease:x}: {Reason}; retrying")]
        public static partial void ExpiryFailed(ILogger logger, long lease, string reason);
    }
}
