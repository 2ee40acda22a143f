using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Replication;
using K3sLab.K3s.Replication.Storage;
using K3sLab.K3s.Replication.Transport;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>k3s datastore member</c>: one member of the replicated (Raft) datastore alone, with etcd's flag names, for
/// tests, benchmarks and users who want the HA store without the rest of a server. The first member starts with
/// <c>--cluster-init</c>; the others with <c>--join</c> and a member's client URL, which adds them as learners that
/// the leader promotes once they have caught up (k3s's embedded-etcd join). Restarting with existing data ignores both.
/// </summary>
internal static partial class DatastoreMemberCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Member name, unique in the cluster", Required = true };
        var dataDir = new Option<string>("--data-dir") { Description = "Where the member keeps its WAL and snapshots (member/wal, member/snap)", Required = true };
        var listenClient = new Option<string>("--listen-client-urls") { Description = "URL for the etcd v3 API, e.g. https://127.0.0.1:2379", DefaultValueFactory = _ => "http://127.0.0.1:2379" };
        var listenPeer = new Option<string>("--listen-peer-urls") { Description = "URL for other members, e.g. https://127.0.0.1:2380", DefaultValueFactory = _ => "http://127.0.0.1:2380" };
        var advertiseClient = new Option<string?>("--advertise-client-urls") { Description = "Client URL other members and clients are told (default: --listen-client-urls)" };
        var advertisePeer = new Option<string?>("--initial-advertise-peer-urls") { Description = "Peer URL other members dial (default: --listen-peer-urls)" };
        var clusterInit = new Option<bool>("--cluster-init") { Description = "Start a new cluster with this member as its only voter" };
        var join = new Option<string?>("--join") { Description = "Client URL of a member of the cluster to join" };
        var cert = new Option<string?>("--cert-file") { Description = "Client API serving certificate (PEM); also presented when joining" };
        var key = new Option<string?>("--key-file") { Description = "Its private key (PEM)" };
        var ca = new Option<string?>("--trusted-ca-file") { Description = "CA for client certificates (requires them) and for the join member's certificate" };
        var peerCert = new Option<string?>("--peer-cert-file") { Description = "Peer certificate (PEM), for serving and dialing the peer port" };
        var peerKey = new Option<string?>("--peer-key-file") { Description = "Its private key (PEM)" };
        var peerCa = new Option<string?>("--peer-trusted-ca-file") { Description = "The peer CA: the only issuer accepted on the peer port" };
        var heartbeat = new Option<int>("--heartbeat-interval") { Description = "Milliseconds between leader heartbeats (one Raft tick)", DefaultValueFactory = _ => 100 };
        var election = new Option<int>("--election-timeout") { Description = "Milliseconds without a leader before an election (randomized up to twice this)", DefaultValueFactory = _ => 800 };
        var snapshotCount = new Option<ulong>("--snapshot-count") { Description = "Applied entries between snapshots", DefaultValueFactory = _ => 10_000UL };

        var command = new Command("member", "Run one member of the replicated (Raft) datastore, serving the etcd v3 API");
        foreach (var option in new Option[] { name, dataDir, listenClient, listenPeer, advertiseClient, advertisePeer, clusterInit, join, cert, key, ca, peerCert, peerKey, peerCa, heartbeat, election, snapshotCount })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = RuntimeLogging.Create();
            var logger = loggers.CreateLogger("datastore");
            try
            {
                var clientUrl = new Uri(parse.GetValue(listenClient)!);
                var peerUrl = new Uri(parse.GetValue(listenPeer)!);
                var clientTls = clientUrl.Scheme == "https";
                if (clientTls && (parse.GetValue(cert) is null || parse.GetValue(key) is null))
                {
                    throw new StoreException(StoreError.NotSupported, "an https client URL needs --cert-file and --key-file");
                }

                PeerTlsOptions? peerTls = null;
                if (peerUrl.Scheme == "https")
                {
                    if (parse.GetValue(peerCert) is not { } pc || parse.GetValue(peerKey) is not { } pk || parse.GetValue(peerCa) is not { } pca)
                    {
                        throw new StoreException(StoreError.NotSupported, "an https peer URL needs --peer-cert-file, --peer-key-file and --peer-trusted-ca-file");
                    }

                    peerTls = PeerTlsOptions.FromPemFiles(pc, pk, pca);
                }

                var joinUrl = parse.GetValue(join);
                PeerTlsOptions? joinTls = null;
                if (joinUrl is not null && joinUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                {
                    if (parse.GetValue(cert) is not { } c || parse.GetValue(key) is not { } k || parse.GetValue(ca) is not { } tca)
                    {
                        throw new StoreException(StoreError.NotSupported, "joining through an https URL needs --cert-file, --key-file and --trusted-ca-file");
                    }

                    joinTls = PeerTlsOptions.FromPemFiles(c, k, tca);
                }

                var options = new ReplicatedMemberOptions(
                    Path.Combine(parse.GetValue(dataDir)!, "member"),
                    parse.GetValue(name)!,
                    new EtcdServerOptions(Endpoint(clientUrl)) { CertFile = clientTls ? parse.GetValue(cert) : null, KeyFile = clientTls ? parse.GetValue(key) : null, CaFile = clientTls ? parse.GetValue(ca) : null },
                    Endpoint(peerUrl))
                {
                    AdvertiseClientUrls = [parse.GetValue(advertiseClient) ?? Trim(clientUrl)],
                    AdvertisePeerUrls = [parse.GetValue(advertisePeer) ?? Trim(peerUrl)],
                    ClusterInit = parse.GetValue(clusterInit),
                    JoinUrl = joinUrl,
                    PeerTls = peerTls,
                    JoinTls = joinTls,
                    HeartbeatInterval = TimeSpan.FromMilliseconds(parse.GetValue(heartbeat)),
                    ElectionTimeout = TimeSpan.FromMilliseconds(parse.GetValue(election)),
                    SnapshotCount = parse.GetValue(snapshotCount),
                };
                if (options.ElectionTimeout < options.HeartbeatInterval * 2)
                {
                    throw new StoreException(StoreError.NotSupported, "--election-timeout must be at least twice --heartbeat-interval");
                }

                using var forward = new LoggerFactoryProvider(loggers);
                await using var member = await ReplicatedMember.StartAsync(options, loggers, forward, cancellationToken);
                var stopped = await Task.WhenAny(Task.Delay(Timeout.Infinite, cancellationToken), member.Host.Failed);
                if (stopped == member.Host.Failed)
                {
                    // etcd exits when it cannot persist or apply; a supervisor restarts it from its data.
                    RuntimeLogging.Fatal(logger, $"the member stopped: {member.Host.Failed.Result.Message}");
                    return 1;
                }

                return 0;
            }
            catch (Exception e) when (e is StoreException or WalCorruptException or SnapshotCorruptException or InvalidOperationException or UriFormatException)
            {
                RuntimeLogging.Fatal(logger, e.Message);
                return 1;
            }
            catch (IOException e)
            {
                RuntimeLogging.Fatal(logger, $"cannot start the member: {e.Message}");
                return 1;
            }
            catch (CryptographicException e)
            {
                RuntimeLogging.Fatal(logger, $"cannot load the TLS files: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static IPEndPoint Endpoint(Uri url) =>
        IPAddress.TryParse(url.Host, out var address) && url.Port > 0
            ? new IPEndPoint(address, url.Port)
            : throw new StoreException(StoreError.NotSupported, $"{url} must name an IP address and a port, e.g. https://127.0.0.1:2379");

    private static string Trim(Uri url) => url.GetLeftPart(UriPartial.Authority);
}
