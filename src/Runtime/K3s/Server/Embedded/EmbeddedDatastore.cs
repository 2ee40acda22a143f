using System.Net;
using System.Security.Cryptography;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication;
using K3sLab.K3s.Replication.Storage;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Tls;

namespace K3sLab.K3s.Server.Embedded;

/// <summary>
/// k3s's embedded etcd, served by our Raft-replicated store: which datastore a server uses, and starting its member
/// with k3s's layout (<c>server/db/etcd/{name,member}</c>, <c>server/tls/etcd</c>), ports (client 2379, peer 2380
/// on the node IP, the client port on loopback too) and member name (<c>&lt;node-name&gt;-&lt;8 hex&gt;</c>).
/// </summary>
internal static partial class EmbeddedDatastore
{
    public const int ClientPort = 2379;
    public const int PeerPort = 2380;

    /// <summary>
    /// k3s's driver choice: an existing member WAL means the embedded store (and <c>--cluster-init</c>,
    /// <c>--server</c> and <c>--datastore-endpoint</c> are then ignored); otherwise it is used without
    /// <c>--datastore-endpoint</c> when <c>--cluster-init</c>, or <c>--server</c> and a token, are given; else SQLite.
    /// </summary>
    public static bool Chosen(ServerSettings settings) =>
        HasData(settings.DataDir)
        || (settings.DatastoreEndpoint is null && (settings.ClusterInit || (settings.ServerUrl is not null && settings.Token is not null)));

    public static bool HasData(DataDir dataDir) => Wal.Exists(new MemberDirectory(dataDir.EtcdMember).Wal);

    /// <summary>
    /// Starts this server's member: a new cluster, a restart from its own data, or (given the join server's
    /// <paramref name="joinMembers"/>) a learner added through a voter's client URL, promoted once caught up.
    /// </summary>
    public static async Task<ReplicatedMember> StartAsync(ServerSettings settings, EtcdTls tls, Uri? joinServer, IReadOnlyList<ClusterMember>? joinMembers, ILoggerFactory loggers, ILoggerProvider logging, CancellationToken cancellationToken)
    {
        var dir = settings.DataDir;
        var hasData = HasData(dir);
        var name = MemberName(dir, settings.NodeName);
        string? joinUrl = null;
        if (!hasData && joinMembers is not null)
        {
            if (joinMembers.FirstOrDefault(m => m.Name != name && SameNode(m.Name, settings.NodeName)) is { } duplicate)
            {
                File.Delete(dir.EtcdNameFile);
                throw new BootstrapException($"duplicate node name found, please use a unique name for this node (member {duplicate.Name} already has node name {settings.NodeName})");
            }

            joinUrl = JoinUrl(joinMembers, joinServer)
                ?? throw new BootstrapException($"{joinServer} lists no voting member with a client URL to join through");
        }

        var node = settings.NodeIp;
        var client = new EtcdServerOptions(new IPEndPoint(node, ClientPort))
        {
            AlsoListen = IPAddress.IsLoopback(node) ? [] : [new IPEndPoint(IPAddress.Loopback, ClientPort)],
            CertFile = tls.ServerClientCertFile,
            KeyFile = tls.ServerClientKeyFile,
            CaFile = tls.ServerCaFile,
        };
        var host = UrlHost(node);
        var options = new ReplicatedMemberOptions(dir.EtcdMember, name, client, new IPEndPoint(node, PeerPort))
        {
            AdvertiseClientUrls = [$"https://{host}:{ClientPort}"],
            AdvertisePeerUrls = [$"https://{host}:{PeerPort}"],
            ClusterInit = !hasData && joinUrl is null,
            JoinUrl = joinUrl,
            PeerTls = new PeerTlsOptions(tls.Peer, tls.PeerCa.Certificate),
            JoinTls = new PeerTlsOptions(tls.ServerClient, tls.ServerCa.Certificate),
        };
        var member = await ReplicatedMember.StartAsync(options, loggers, logging, cancellationToken).ConfigureAwait(false);
        try
        {
            await WaitVoterAsync(member, loggers.CreateLogger("k3s.etcd"), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await member.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return member;
    }

    /// <summary>
    /// A joining member is a learner until the leader promotes it; like k3s, the server goes on (API server,
    /// controllers) only once its member votes, and says what it waits for every 5 s.
    /// </summary>
    private static async Task WaitVoterAsync(ReplicatedMember member, ILogger logger, CancellationToken cancellationToken)
    {
        var host = member.Host;
        var waited = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(100);
        while (host.Status.ConfState.IsLearner(host.MemberId) || !host.Status.ConfState.Voters.Contains(host.MemberId))
        {
            if (host.Failed.IsCompleted)
            {
                throw new BootstrapException($"the embedded datastore member stopped: {host.Failed.Result.Message}");
            }

            if (waited.Ticks % TimeSpan.FromSeconds(5).Ticks == 0)
            {
                Log.WaitingForPromotion(logger, host.Name);
            }

            await Task.Delay(step, cancellationToken).ConfigureAwait(false);
            waited += step;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Waiting for member {Name} to be promoted from learner to voting member")]
        public static partial void WaitingForPromotion(ILogger logger, string name);
    }

    /// <summary>An address as the host part of a URL (IPv6 in brackets).</summary>
    internal static string UrlHost(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    /// <summary>The persisted member name, or a new <c>&lt;node-name&gt;-&lt;8 hex&gt;</c> written to <c>server/db/etcd/name</c>.</summary>
    internal static string MemberName(DataDir dir, string nodeName)
    {
        if (File.Exists(dir.EtcdNameFile) && File.ReadAllText(dir.EtcdNameFile).Trim() is { Length: > 0 } stored)
        {
            return stored;
        }

        var name = $"{nodeName}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        AtomicFile.Write(dir.EtcdNameFile, name, AtomicFile.WorldReadable);
        return name;
    }

    /// <summary>Whether a member name is <c>&lt;nodeName&gt;-&lt;8 hex&gt;</c>.</summary>
    internal static bool SameNode(string memberName, string nodeName) =>
        memberName.Length == nodeName.Length + 9
        && memberName.StartsWith(nodeName + "-", StringComparison.Ordinal)
        && memberName[(nodeName.Length + 1)..].All(char.IsAsciiHexDigitLower);

    /// <summary>A voter's client URL to join through: the join server's own member first, as k3s orders them.</summary>
    internal static string? JoinUrl(IReadOnlyList<ClusterMember> members, Uri? joinServer)
    {
        var voters = members.Where(m => !m.IsLearner && m.ClientUrls.Count > 0).ToList();
        var own = voters.FirstOrDefault(m => joinServer is not null && m.ClientUrls.Any(u => Uri.TryCreate(u, UriKind.Absolute, out var url) && url.Host == joinServer.Host));
        return (own ?? voters.FirstOrDefault())?.ClientUrls[0];
    }
}
