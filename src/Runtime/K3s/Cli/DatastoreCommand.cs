using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using K3sLab.K3s.Etcd;
using K3sLab.K3s.Store;
using K3sLab.K3s.Store.Sql.Sqlite;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>k3s datastore serve</c>: just the datastore, over the etcd v3 API, for tests and for users who want the
/// store alone (as kine runs standalone). Plain gRPC is meant for loopback; give the TLS files for anything else.
/// </summary>
internal static partial class DatastoreCommand
{
    public static Command Create()
    {
        var endpoint = new Option<string>("--endpoint") { Description = "Datastore to serve, e.g. sqlite:///var/lib/rancher/k3s/server/db/state.db", DefaultValueFactory = _ => "sqlite:///var/lib/rancher/k3s/server/db/state.db" };
        var listen = new Option<string>("--listen-address") { Description = "host:port for the etcd API", DefaultValueFactory = _ => "127.0.0.1:2379" };
        var caFile = new Option<string?>("--ca-file") { Description = "CA that client certificates must be signed by (requires client certificates)" };
        var certFile = new Option<string?>("--cert-file") { Description = "Serving certificate (PEM); turns on TLS" };
        var keyFile = new Option<string?>("--key-file") { Description = "Serving certificate's private key (PEM)" };
        var compactInterval = new Option<int>("--compact-interval-seconds") { Description = "Automatic compaction interval; 0 turns it off", DefaultValueFactory = _ => 300 };
        var compactRetain = new Option<long>("--compact-retain") { Description = "Revisions automatic compaction keeps", DefaultValueFactory = _ => 1000 };
        var maxRequest = new Option<int>("--max-request-bytes") { Description = "Largest write request accepted, as etcd's flag", DefaultValueFactory = _ => EtcdEndpoint.DefaultMaxRequestBytes };

        var serve = new Command("serve", "Serve a datastore over the etcd v3 gRPC API");
        foreach (var option in new Option[] { endpoint, listen, caFile, certFile, keyFile, compactInterval, compactRetain, maxRequest })
        {
            serve.Options.Add(option);
        }

        serve.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = RuntimeLogging.Create();
            var logger = loggers.CreateLogger("datastore");
            try
            {
                var address = ParseListen(parse.GetValue(listen)!);
                var options = new EtcdServerOptions(address)
                {
                    CaFile = parse.GetValue(caFile),
                    CertFile = parse.GetValue(certFile),
                    KeyFile = parse.GetValue(keyFile),
                    MaxRequestBytes = parse.GetValue(maxRequest),
                };
                if (options.CertFile is null != (options.KeyFile is null) || options.CaFile is not null && options.CertFile is null)
                {
                    throw new StoreException(StoreError.NotSupported, "--cert-file and --key-file go together, and --ca-file needs them");
                }

                var path = SqliteFile.PathFromEndpoint(parse.GetValue(endpoint)!);
                await using var store = SqliteStore.Open(
                    new SqliteStoreOptions(path)
                    {
                        AutoCompactInterval = TimeSpan.FromSeconds(parse.GetValue(compactInterval)),
                        AutoCompactRetain = parse.GetValue(compactRetain),
                    },
                    logger);
                var scheme = options.UsesTls ? "https" : "http";
                var url = $"{scheme}://{address}";
                var member = new EtcdMember(store.Identity.MemberId, store.Identity.ClusterId, options.MemberName, [url], [$"{scheme}://localhost:2380"]);
                await using var app = EtcdServer.Build(store, new SingleMemberCluster(member, store), options, new LoggerFactoryProvider(loggers));
                await app.StartAsync(cancellationToken);
                LogServing(logger, path, url, store.CurrentRevision);
                await app.WaitForShutdownAsync(cancellationToken);
                return 0;
            }
            catch (StoreException e)
            {
                RuntimeLogging.Fatal(logger, e.Message);
                return 1;
            }
            catch (IOException e)
            {
                RuntimeLogging.Fatal(logger, $"cannot listen on {parse.GetValue(listen)}: {e.Message}");
                return 1;
            }
            catch (CryptographicException e)
            {
                RuntimeLogging.Fatal(logger, $"cannot load the TLS files: {e.Message}");
                return 1;
            }
        });

        var command = new Command("datastore", "Run the datastore alone");
        command.Subcommands.Add(serve);
        command.Subcommands.Add(DatastoreMemberCommand.Create());
        return command;
    }

    private static IPEndPoint ParseListen(string value) =>
        IPEndPoint.TryParse(value, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new StoreException(StoreError.NotSupported, $"--listen-address {value} is not an address:port such as 127.0.0.1:2379");

    [LoggerMessage(EventId = 350, Level = LogLevel.Information, Message = "Datastore {Path} at revision {Revision} serving the etcd v3 API on {Url}")]
    private static partial void LogServing(ILogger logger, string path, string url, long revision);
}
