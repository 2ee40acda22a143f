using System.Net;
using K3sLab.K3s.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace K3sLab.K3s.Replication.Transport;

/// <summary>
/// The peer port (etcd's 2380): HTTP/2 with mutual TLS from the peer CA, serving <see cref="RaftPeerService"/>.
/// Without TLS options it serves plain HTTP/2, which only tests on loopback use.
/// </summary>
internal static class PeerServer
{
    // Snapshots travel as one message.
    private const int MaxMessageBytes = 512 * 1024 * 1024;

    public static WebApplication Build(IPeerInbox inbox, IPEndPoint listen, PeerTlsOptions? tls, ILoggerProvider? logging = null)
    {
        var builder = KestrelApplication.CreateBuilder(logging);

        var debug = Environment.GetEnvironmentVariable("K3S_DEBUG") == "true";
        builder.Logging.AddFilter("Grpc", debug ? LogLevel.Debug : LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", debug ? LogLevel.Debug : LogLevel.Warning);
        KestrelApplication.PreferInlineScheduling(builder);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(listen, options =>
            {
                options.Protocols = HttpProtocols.Http2;
                if (tls is not null)
                {
                    options.UseHttps(https =>
                    {
                        https.ServerCertificate = tls.Certificate;
                        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                        https.ClientCertificateValidation = (certificate, _, _) => tls.IsTrusted(certificate);
                    });
                }
            });
        });
        builder.Services.AddSingleton(inbox);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.MaxSendMessageSize = null;
        });

        var app = builder.Build();
        app.MapGrpcService<RaftPeerService>();
        return app;
    }
}
