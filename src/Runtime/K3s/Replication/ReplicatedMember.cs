using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication.Host;
using K3sLab.K3s.Replication.Storage;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Replication;

/// <summary>
/// One running member of the replicated store: its Raft host (WAL, snapshots, peer transport), the store on top,
/// the peer server and the etcd client API. Start order: storage, host loop, peer port, client port; a member that
/// restarted at another address then has the cluster update its peer URL (<see cref="PeerUrlRepair"/>).
/// </summary>
internal sealed partial class ReplicatedMember : IAsyncDisposable
{
    private readonly WebApplication _peer;
    private readonly WebApplication _client;

    private readonly CancellationTokenSource _stopping = new();
    private Task _peerUrlRepair = Task.CompletedTask;

    private ReplicatedMember(ReplicatedStore store, WebApplication peer, WebApplication client)
    {
        Store = store;
        _peer = peer;
        _client = client;
    }

    public ReplicatedStore Store { get; }

    public RaftHost Host => Store.Host;

    public static async Task<ReplicatedMember> StartAsync(ReplicatedMemberOptions options, ILoggerFactory loggers, ILoggerProvider? logging, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("k3s.etcd");
        var store = new ReplicatedStore(loggers.CreateLogger("k3s.etcd.store"), TimeProvider.System);
        try
        {
            var (host, restarted) = await OpenHostAsync(options, store, logger, cancellationToken).ConfigureAwait(false);
            store.Attach(host);
            await host.StartAsync().ConfigureAwait(false);
            var peer = PeerServer.Build(host.Inbox, options.PeerListen, options.PeerTls, logging);
            await peer.StartAsync(cancellationToken).ConfigureAwait(false);
            var client = EtcdServer.Build(store, new RaftCluster(host), options.ClientApi with { MemberName = options.Name }, logging);
            await client.StartAsync(cancellationToken).ConfigureAwait(false);
            Log.Started(logger, options.Name, host.MemberId, host.ClusterId, string.Join(",", options.AdvertiseClientUrls), string.Join(",", options.AdvertisePeerUrls));
            var member = new ReplicatedMember(store, peer, client);
            if (restarted)
            {
                member._peerUrlRepair = Task.Run(() => PeerUrlRepair.RunAsync(host, options, logger, member._stopping.Token), CancellationToken.None);
            }

            return member;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<(RaftHost Host, bool Restarted)> OpenHostAsync(ReplicatedMemberOptions options, ReplicatedStore store, ILogger logger, CancellationToken cancellationToken)
    {
        var directory = new MemberDirectory(options.MemberDirectory);
        var hostOptions = HostOptions(options, directory, memberId: 0);
        if (Wal.Exists(directory.Wal))
        {
            if (options.ClusterInit || options.JoinUrl is not null)
            {
                Log.Restarting(logger, directory.Wal);
            }

            return (await RaftHost.RestartAsync(hostOptions, store, logger, cancellationToken).ConfigureAwait(false), true);
        }

        Directory.CreateDirectory(directory.Path);
        if (options.JoinUrl is { } joinUrl)
        {
            var joined = await ClusterJoin.AddAsLearnerAsync(joinUrl, options.Name, options.AdvertisePeerUrls, options.JoinTls, options.JoinTimeout, logger, cancellationToken).ConfigureAwait(false);
            return (await RaftHost.JoinAsync(HostOptions(options, directory, joined.MemberId), joined.ClusterId, joined.Members, store, logger).ConfigureAwait(false), false);
        }

        if (!options.ClusterInit)
        {
            throw new StoreException(StoreError.Unavailable, $"{directory.Wal} holds no data: start the first member with --cluster-init, or join a cluster with --join <client URL of a member>");
        }

        var memberId = MemberRebuild.NewId();
        return (await RaftHost.BootstrapAsync(HostOptions(options, directory, memberId), MemberRebuild.NewId(), options.AdvertisePeerUrls, store, logger, cancellationToken).ConfigureAwait(false), false);
    }

    private static RaftHostOptions HostOptions(ReplicatedMemberOptions options, MemberDirectory directory, ulong memberId)
    {
        var tick = options.HeartbeatInterval;
        var electionTicks = (int)Math.Max(2, Math.Round(options.ElectionTimeout / tick));
        return new RaftHostOptions(memberId, directory)
        {
            Name = options.Name,
            PeerUrls = options.AdvertisePeerUrls,
            ClientUrls = options.AdvertiseClientUrls,
            PeerTls = options.PeerTls,
            TickInterval = tick,
            Raft = new RaftHostOptions(memberId, directory).Raft with { ElectionTicks = electionTicks, HeartbeatTicks = 1, CompactionKeepEntries = options.SnapshotCatchUpEntries, CommitWithoutQuorum = PlantedBugs.AckBeforeCommit },
            SnapshotCount = options.SnapshotCount,
            RequestTimeout = options.RequestTimeout,
        };
    }

    /// <summary>
    /// Stops serving, then the member. Watch and peer streams never end on their own, so the web hosts get a short
    /// grace period instead of Kestrel's default 30 s before their connections are aborted.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _peerUrlRepair.ConfigureAwait(false);
        _stopping.Dispose();
        using (var grace = new CancellationTokenSource(ShutdownGrace))
        {
            await _client.StopAsync(grace.Token).ConfigureAwait(false);
        }

        await _client.DisposeAsync().ConfigureAwait(false);
        await Store.DisposeAsync().ConfigureAwait(false);
        using (var grace = new CancellationTokenSource(ShutdownGrace))
        {
            await _peer.StopAsync(grace.Token).ConfigureAwait(false);
        }

        await _peer.DisposeAsync().ConfigureAwait(false);
    }

    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(1);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4400, Level = LogLevel.Information, Message = "Member {Name} ({Member:x16}) of cluster {Cluster:x16} serving clients on {ClientUrls}, peers on {PeerUrls}")]
        public static partial void Started(ILogger logger, string name, ulong member, ulong cluster, string clientUrls, string peerUrls);

        [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "{Wal} exists: restarting this member from its data; --cluster-init and --join are ignored")]
        public static partial void Restarting(ILogger logger, string wal);
    }
}
