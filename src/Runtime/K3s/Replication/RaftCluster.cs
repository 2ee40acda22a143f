using System.Security.Cryptography;
using Grpc.Core;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Store;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication;

/// <summary>
/// The Raft group as etcd's Cluster and Maintenance services show and change it. Membership changes may be asked of
/// any member (k3s asks the server it joins); a member that does not lead hands them to the leader. Errors carry
/// etcd's messages, which k3s's join loop matches on (it retries "too many learner members" and "unhealthy cluster").
/// </summary>
internal sealed class RaftCluster(RaftHost host) : IClusterView
{
    /// <summary>etcd's default limit (<c>--max-learners</c>): one learner at a time.</summary>
    private const int MaxLearners = 1;

    // Membership requests through this member run one at a time, so the checks before a change (learner limit,
    // peer URLs in use) see the outcome of the change before it; joins that race through one member no longer
    // both pass the learner limit.
    private readonly SemaphoreSlim _changes = new(1, 1);

    public ulong MemberId => host.MemberId;

    public ulong ClusterId => host.ClusterId;

    public ulong RaftTerm => host.Status.Term;

    public ulong Leader => host.Status.Leader;

    public TimeSpan ElectionTimeout => host.ElectionTimeout;

    public (ulong Index, ulong Applied) RaftIndexes => (host.Status.LastIndex, host.AppliedIndex);

    public bool IsLearner => host.Status.ConfState.IsLearner(host.MemberId);

    public IReadOnlyList<ClusterMember> Members() => host.Members.List;

    public async Task<(ClusterMember Added, IReadOnlyList<ClusterMember> Members)> AddMemberAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await AddMemberSerializedAsync(peerUrls, isLearner, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changes.Release();
        }
    }

    private async Task<(ClusterMember Added, IReadOnlyList<ClusterMember> Members)> AddMemberSerializedAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken)
    {
        CheckPeerUrls(peerUrls);
        var members = host.Members.List;
        if (members.Any(m => m.PeerUrls.Intersect(peerUrls, StringComparer.OrdinalIgnoreCase).Any()))
        {
            throw new EtcdRequestException(StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists");
        }

        if (isLearner && members.Count(m => m.IsLearner) >= MaxLearners)
        {
            throw new EtcdRequestException(StatusCode.FailedPrecondition, "etcdserver: too many learner members in cluster");
        }

        ulong id;
        do
        {
            id = (ulong)RandomNumberGenerator.GetInt32(1, int.MaxValue) << 32 | (uint)RandomNumberGenerator.GetInt32(0, int.MaxValue);
        }
        while (members.Any(m => m.Id == id));

        var change = new ConfChange(isLearner ? ConfChangeType.AddLearner : ConfChangeType.AddVoter, id, BinaryFields.EncodeStrings(peerUrls));
        await ChangeAsync(change, () => host.Members.Contains(id), cancellationToken).ConfigureAwait(false);
        return (host.Members.Find(id)!, host.Members.List);
    }

    public async Task<IReadOnlyList<ClusterMember>> PromoteMemberAsync(ulong id, CancellationToken cancellationToken)
    {
        var member = host.Members.Find(id) ?? throw MemberNotFound();
        if (!member.IsLearner)
        {
            throw new EtcdRequestException(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member");
        }

        await ChangeAsync(new ConfChange(ConfChangeType.PromoteLearner, id, []), () => host.Members.Find(id) is { IsLearner: false }, cancellationToken).ConfigureAwait(false);
        return host.Members.List;
    }

    public async Task<IReadOnlyList<ClusterMember>> RemoveMemberAsync(ulong id, CancellationToken cancellationToken)
    {
        _ = host.Members.Find(id) ?? throw MemberNotFound();
        await ChangeAsync(new ConfChange(ConfChangeType.RemoveNode, id, []), () => !host.Members.Contains(id), cancellationToken).ConfigureAwait(false);
        return host.Members.List;
    }

    /// <summary>
    /// etcd's MemberUpdate: a replicated entry that every member applies (its member table and its sender to that
    /// member move to the new URL). A member that restarts at another address asks for it through another member,
    /// since until it commits nothing reaches the new address. Answers once this member has applied it.
    /// </summary>
    public async Task<IReadOnlyList<ClusterMember>> UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken)
    {
        CheckPeerUrls(peerUrls);
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _ = host.Members.Find(id) ?? throw MemberNotFound();
            if (host.Members.List.Any(m => m.Id != id && m.PeerUrls.Intersect(peerUrls, StringComparer.OrdinalIgnoreCase).Any()))
            {
                throw new EtcdRequestException(StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists");
            }

            var started = TimeProvider.System.GetTimestamp();
            if (!HasPeerUrls(id, peerUrls))
            {
                var data = new EntryPayload(PayloadKind.UpdatePeerUrls, host.MemberId, 0, MemberTable.EncodePeerUrlUpdate(id, peerUrls)).Encode();
                await host.ProposeAsync(data, cancellationToken).ConfigureAwait(false);
            }

            while (!HasPeerUrls(id, peerUrls))
            {
                _ = host.Members.Find(id) ?? throw MemberNotFound();
                if (TimeProvider.System.GetElapsedTime(started) >= host.RequestTimeout)
                {
                    throw new StoreException(StoreError.Timeout, "the peer URL change was not committed in time");
                }

                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            return host.Members.List;
        }
        finally
        {
            _changes.Release();
        }
    }

    private bool HasPeerUrls(ulong id, IReadOnlyList<string> peerUrls) => host.Members.Find(id) is { } member && member.PeerUrls.SequenceEqual(peerUrls);

    /// <summary>etcd refuses an empty list and any URL that is not an absolute http or https URL.</summary>
    private static void CheckPeerUrls(IReadOnlyList<string> peerUrls)
    {
        if (peerUrls.Count == 0)
        {
            throw new EtcdRequestException(StatusCode.InvalidArgument, "etcdserver: member peer URLs are not provided");
        }

        if (peerUrls.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new EtcdRequestException(StatusCode.InvalidArgument, "etcdserver: given member URLs are invalid");
        }
    }

    public async Task MoveLeaderAsync(ulong target, CancellationToken cancellationToken)
    {
        if (!host.IsLeader)
        {
            throw new EtcdRequestException(StatusCode.FailedPrecondition, "etcdserver: not leader");
        }

        if (!await host.TransferLeadershipAsync(target).ConfigureAwait(false))
        {
            throw new EtcdRequestException(StatusCode.FailedPrecondition, "etcdserver: bad leader transferee");
        }

        var started = TimeProvider.System.GetTimestamp();
        while (host.Leader != target)
        {
            if (TimeProvider.System.GetElapsedTime(started) >= host.RequestTimeout)
            {
                throw new StoreException(StoreError.Timeout, $"member {target:x16} did not take over in time");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Proposes <paramref name="change"/> on the leader, retrying while another change is still being applied,
    /// then waits until this member has applied it and <paramref name="applied"/> holds.
    /// </summary>
    private async Task ChangeAsync(ConfChange change, Func<bool> applied, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var leader = host.Leader;
            ProposalResult? result = null;
            if (leader == host.MemberId)
            {
                result = await host.ProposeConfChangeAsync(change).ConfigureAwait(false);
            }
            else if (leader != RaftNode.None)
            {
                try
                {
                    var response = await host.Transport.ProposeConfChangeAsync(leader, change, cancellationToken).ConfigureAwait(false);
                    if (response is { NotLeader: false })
                    {
                        result = new ProposalResult(response.Term, response.Index, response.Refusal.Length == 0 ? null : response.Refusal);
                    }
                }
                catch (RpcException)
                {
                    // The leader is going away; ask the next one.
                }
            }

            if (result is { Accepted: true } accepted)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var left = host.RequestTimeout - TimeProvider.System.GetElapsedTime(started);
                timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                try
                {
                    await host.WaitAppliedAsync(accepted.Index, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new StoreException(StoreError.Timeout, "the membership change was not committed in time");
                }

                if (applied())
                {
                    return;
                }

                throw new StoreException(StoreError.LeaderChanged, "the leader changed before the membership change committed");
            }

            if (result is { Refusal: { } refusal } && !refusal.Contains("not applied yet", StringComparison.Ordinal) && !refusal.Contains("being transferred", StringComparison.Ordinal) && refusal != "not the leader")
            {
                throw refusal.StartsWith("can only promote", StringComparison.Ordinal)
                    ? new EtcdRequestException(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member which is in sync with leader")
                    : new EtcdRequestException(StatusCode.FailedPrecondition, $"etcdserver: {refusal}");
            }

            if (TimeProvider.System.GetElapsedTime(started) >= host.RequestTimeout)
            {
                throw leader == RaftNode.None
                    ? new StoreException(StoreError.NoLeader, "no leader is elected; the cluster may have lost quorum")
                    : new EtcdRequestException(StatusCode.Unavailable, "etcdserver: unhealthy cluster");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private static EtcdRequestException MemberNotFound() => new(StatusCode.NotFound, "etcdserver: member not found");
}
