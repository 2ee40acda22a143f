using System.Net;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Etcd.Http2;
using K3sLab.K3s.Hosting;
using K3sLab.K3s.Store;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace K3sLab.K3s.Etcd;

/// <summary>
/// Serves a store over the etcd v3 gRPC API (KV, Watch, Lease, Cluster, Maintenance). Auth and the other etcd
/// services are not mapped, so their calls answer gRPC's Unimplemented.
/// </summary>
internal static class EtcdServer
{
    public static WebApplication Build(IRevisionedStore store, IClusterView cluster, EtcdServerOptions options, ILoggerProvider? logging = null)
    {
        var builder = KestrelApplication.CreateBuilder(logging);

        // A client that hangs up mid-stream is routine for an etcd server: not worth a line per call.
        var debug = Environment.GetEnvironmentVariable("K3S_DEBUG") == "true";
        builder.Logging.AddFilter("Grpc", debug ? LogLevel.Debug : LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", debug ? LogLevel.Debug : LogLevel.Warning);

        KestrelApplication.PreferInlineScheduling(builder);
        var leaders = new LeaderLoss(cluster, TimeProvider.System);
        var endpoint = new EtcdEndpoint(store, cluster, leaders) { MaxRequestBytes = options.MaxRequestBytes };
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // etcd clients multiplex every request and watch of a client on one connection.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 10_000;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            foreach (var address in (IPEndPoint[])[options.Listen, .. options.AlsoListen])
            {
                kestrel.Listen(address, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    if (options.UsesTls)
                    {
                        listen.UseHttps(https => ConfigureTls(https, options));
                    }

                    // After TLS, so it sees plain HTTP/2: etcdctl 3.4 sends its endpoint URL as :authority.
                    listen.UseAuthorityNormalization();
                });
            }
        });
        builder.Services.AddSingleton(endpoint);

        // From a factory, so the container disposes it (its timer) with the host.
        builder.Services.AddSingleton(_ => leaders);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddGrpc(grpc =>
        {
            // Larger than etcd's limit so the services can answer etcd's own "request is too large".
            grpc.MaxReceiveMessageSize = 16 * 1024 * 1024;
            grpc.MaxSendMessageSize = null;
            grpc.Interceptors.Add<RequireLeaderInterceptor>();
        });

        var app = builder.Build();
        app.Use(MalformedRequestFilter.InvokeAsync);
        app.MapGrpcService<KvService>();
        app.MapGrpcService<WatchService>();
        app.MapGrpcService<LeaseService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcService<MaintenanceService>();
        return app;
    }

    private static void ConfigureTls(HttpsConnectionAdapterOptions https, EtcdServerOptions options)
    {
        using var pem = X509Certificate2.CreateFromPemFile(options.CertFile!, options.KeyFile);
        https.ServerCertificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        if (options.CaFile is null)
        {
            return;
        }

        var ca = X509CertificateLoader.LoadCertificateFromFile(options.CaFile);
        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        https.ClientCertificateValidation = (certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        };
    }
}
