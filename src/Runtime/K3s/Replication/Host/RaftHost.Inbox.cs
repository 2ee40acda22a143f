using K3sLab.K3s.Replication.Transport;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Host;

internal sealed partial class RaftHost
{
    /// <summary>The store's lease clock; set before <see cref="StartAsync"/>.</summary>
    public ILeaderLeases? Leases { get; set; }

    /// <summary>What the peer server sees of this member.</summary>
    private sealed class HostInbox(RaftHost host) : IPeerInbox
    {
        public ulong ClusterId => host.ClusterId;

        public ulong Leader => host.Leader;

        // Membership as applied, plus the core's view (a joining member hears from the leader before it has
        // applied the change that added it, and must accept that leader's messages).
        public bool Knows(ulong memberId) => host.Members.Contains(memberId) || host.Status.ConfState.Contains(memberId) || host.Status.ConfState.IsEmpty;

        public void Deliver(IReadOnlyList<Message> messages) => host._inbox.Writer.TryWrite(new HostInput.Receive(messages));

        public void StreamBroken(ulong memberId) => host._transport.CheckPeer(memberId);

        public Task<(ulong Term, ulong Index)?> ProposeForwardedAsync(byte[] entry, CancellationToken cancellationToken) =>
            host.IsLeader ? host.ProposeAsLeaderAsync(entry) : Task.FromResult<(ulong Term, ulong Index)?>(null);

        public async Task<ProposalResult?> ProposeConfChangeAsLeaderAsync(ConfChange change, CancellationToken cancellationToken) =>
            host.IsLeader ? await host.ProposeConfChangeAsync(change).ConfigureAwait(false) : null;

        public Task<long?> KeepAliveAsLeaderAsync(long id, CancellationToken cancellationToken) =>
            Task.FromResult(host.Leases?.KeepAliveAsLeader(id));

        public Task<LeaseAnswer> TimeToLiveAsLeaderAsync(long id, bool withKeys, CancellationToken cancellationToken) =>
            Task.FromResult(host.Leases?.TimeToLiveAsLeader(id, withKeys) ?? new LeaseAnswer(true, false, 0, 0, []));
    }
}
