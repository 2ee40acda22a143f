using Google.Protobuf;
using K3sLab.K3s.Replication.Wire;
using K3sLab.Raft;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>
/// The sending side of the peer protocol: one <see cref="PeerSender"/> per other member, rebuilt when the member
/// list changes, plus the request calls (forwarded writes, lease renewals) a follower makes to the leader.
/// Thread-safety: every member may be called from any thread.
/// </summary>
internal sealed class PeerTransport(ulong self, PeerTlsOptions? tls, Action<ulong> unreachable, ILogger logger) : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly PeerChannels _channels = new(tls);
    private Dictionary<ulong, PeerSender> _senders = [];

    /// <summary>The cluster id every batch carries; set once it is known (a joining member learns it from MemberAdd).</summary>
    public ulong ClusterId { get; set; }

    /// <summary>Told that a member's process is gone (<see cref="PeerSender"/>: its stream ended and its port refuses connections).</summary>
    public Action<ulong> PeerDown { get; set; } = _ => { };

    /// <summary>Told whether a snapshot message reached its receiver (true) or was dropped (false).</summary>
    public Action<ulong, bool> SnapshotSent { get; set; } = (_, _) => { };

    /// <summary>
    /// Fills in the data of a snapshot message before it is sent, on the sender's task (the host keeps its newest
    /// snapshot's data on disk); returns the snapshot unchanged when it already has it.
    /// </summary>
    public Func<Snapshot, CancellationToken, Task<Snapshot>> LoadSnapshot { get; set; } = static (s, _) => Task.FromResult(s);

    /// <summary>Makes the senders match <paramref name="peerUrls"/> (member id → peer URL), ignoring this member.</summary>
    public Task SetPeersAsync(IReadOnlyDictionary<ulong, string> peerUrls) => ReplaceAsync(peerUrls, keepOthers: false);

    /// <summary>
    /// Adds senders for the members of <paramref name="peerUrls"/> and moves those whose URL changed, keeping every
    /// other sender. A member that restores an older snapshot (a joiner gets whatever snapshot its leader stored,
    /// perhaps the bootstrap one naming only the first member) must still answer the leader that sent it, which that
    /// snapshot may not name; only a removal that it applies (<see cref="RemovePeerAsync"/>) ends a sender.
    /// </summary>
    public Task AddPeersAsync(IReadOnlyDictionary<ulong, string> peerUrls) => ReplaceAsync(peerUrls, keepOthers: true);

    /// <summary>Ends the sender to a member that was removed from the cluster.</summary>
    public async Task RemovePeerAsync(ulong id)
    {
        PeerSender? retired;
        lock (_gate)
        {
            if (!_senders.TryGetValue(id, out retired))
            {
                return;
            }

            _senders = _senders.Where(s => s.Key != id).ToDictionary(s => s.Key, s => s.Value);
        }

        await retired.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ReplaceAsync(IReadOnlyDictionary<ulong, string> peerUrls, bool keepOthers)
    {
        List<PeerSender> retired = [];
        lock (_gate)
        {
            var next = keepOthers ? _senders.Where(s => !peerUrls.ContainsKey(s.Key)).ToDictionary(s => s.Key, s => s.Value) : [];
            foreach (var (id, url) in peerUrls)
            {
                if (id == self)
                {
                    continue;
                }

                if (_senders.TryGetValue(id, out var existing) && existing.Url == url)
                {
                    next[id] = existing;
                }
                else
                {
                    next[id] = new PeerSender(ClusterId, self, id, url, _channels, unreachable, to => PeerDown(to), (to, ok) => SnapshotSent(to, ok), (s, ct) => LoadSnapshot(s, ct), logger);
                }
            }

            retired.AddRange(_senders.Where(s => !next.TryGetValue(s.Key, out var kept) || kept != s.Value).Select(s => s.Value));
            _senders = next;
        }

        foreach (var sender in retired)
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The member's stream to this one broke off from its side: its sender here probes whether it died. Unknown
    /// members are ignored.
    /// </summary>
    public void CheckPeer(ulong id)
    {
        Dictionary<ulong, PeerSender> senders;
        lock (_gate)
        {
            senders = _senders;
        }

        if (senders.TryGetValue(id, out var sender))
        {
            sender.CheckAfterPeerClosed();
        }
    }

    /// <summary>Queues messages to their receivers; messages to unknown members are dropped (and reported unreachable).</summary>
    public void Send(IReadOnlyList<Message> messages)
    {
        Dictionary<ulong, PeerSender> senders;
        lock (_gate)
        {
            senders = _senders;
        }

        foreach (var m in messages)
        {
            if (senders.TryGetValue(m.To, out var sender))
            {
                if (!sender.TrySend(m) && m.Snapshot is not null)
                {
                    SnapshotSent(m.To, false);
                }
            }
            else
            {
                unreachable(m.To);
                if (m.Snapshot is not null)
                {
                    SnapshotSent(m.To, false);
                }
            }
        }
    }

    /// <summary>Asks <paramref name="leader"/> to propose <paramref name="entry"/>; null when it no longer leads or cannot be reached.</summary>
    public async Task<ForwardResponse?> ForwardAsync(ulong leader, byte[] entry, CancellationToken cancellationToken)
    {
        var client = Client(leader);
        if (client is null)
        {
            return null;
        }

        var response = await client.ForwardAsync(new ForwardRequest { ClusterId = ClusterId, From = self, Entry = UnsafeByteOperations.UnsafeWrap(entry) }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Term == 0 ? null : response;
    }

    /// <summary>Renews a lease on <paramref name="leader"/>.</summary>
    public async Task<LeaseResponse?> KeepAliveAsync(ulong leader, long id, CancellationToken cancellationToken)
    {
        var client = Client(leader);
        return client is null ? null : await client.LeaseKeepAliveAsync(new LeaseRequest { ClusterId = ClusterId, Id = id }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks <paramref name="leader"/> for a lease's TTL.</summary>
    public async Task<LeaseResponse?> TimeToLiveAsync(ulong leader, long id, bool withKeys, CancellationToken cancellationToken)
    {
        var client = Client(leader);
        return client is null ? null : await client.LeaseTimeToLiveAsync(new LeaseRequest { ClusterId = ClusterId, Id = id, Keys = withKeys }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks <paramref name="leader"/> to propose a membership change.</summary>
    public async Task<ConfChangeResponse?> ProposeConfChangeAsync(ulong leader, K3sLab.Raft.ConfChange change, CancellationToken cancellationToken)
    {
        var client = Client(leader);
        return client is null ? null : await client.ProposeConfChangeAsync(new ConfChangeRequest { ClusterId = ClusterId, Type = (int)change.Type, NodeId = change.NodeId, Context = ByteString.CopyFrom(change.Context) }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private RaftPeer.RaftPeerClient? Client(ulong member)
    {
        lock (_gate)
        {
            return _senders.TryGetValue(member, out var sender) ? new RaftPeer.RaftPeerClient(sender.Channel) : null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<PeerSender> all;
        lock (_gate)
        {
            all = [.. _senders.Values];
            _senders = [];
        }

        foreach (var sender in all)
        {
            await sender.DisposeAsync().ConfigureAwait(false);
        }

        _channels.Dispose();
    }
}
