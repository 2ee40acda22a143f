using System.Net;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Hosting;
using K3sLab.K3s.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace K3sLab.K3s.Supervisor;

/// <summary>
/// The HTTPS listener of an etcd-only server (<c>--disable-apiserver</c>): the supervisor endpoints that joins need
/// (<see cref="SupervisorEndpoints.MapJoin"/>) on the server port with the cluster's serving certificate, and no
/// Kubernetes API. Credentials are the API host's: a client certificate of the cluster's client CA, or a join token
/// as HTTP Basic. Every other path answers 503 <c>apiserver disabled</c>: k3s proxies such requests to an API server
/// elsewhere in the cluster, which this build does not.
/// </summary>
internal static class SupervisorHost
{
    /// <summary>The message of the 503 for any Kubernetes API path.</summary>
    public const string ApiServerDisabled = "apiserver disabled: this server was started with --disable-apiserver; use a server that runs the API";

    private static readonly string[] PublicPaths = ["/cacerts", "/ping"];

    public static WebApplication Build(IPAddress bindAddress, int port, ClusterTls tls, DataDir dataDir, SupervisorSettings settings, ILoggerProvider? logging)
    {
        var builder = KestrelApplication.CreateBuilder(logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(bindAddress, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = tls.Serving;
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            });
        });

        var app = builder.Build();
        var certificates = new ClientCertificateAuthenticator(tls.ClientCa, TimeProvider.System);
        var passwd = new PasswdAuthenticator(dataDir.PasswdFile);
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "/";
            if (!SupervisorEndpoints.Serves(path))
            {
                if (!PublicPaths.Contains(path))
                {
                    await SupervisorEndpoints.PlainAsync(context, StatusCodes.Status503ServiceUnavailable, ApiServerDisabled);
                    return;
                }
            }
            else if (!SupervisorEndpoints.AllowsAnonymous(context))
            {
                var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
                var user = certificates.Authenticate(certificate) ?? passwd.Authenticate(context.Request.Headers.Authorization.FirstOrDefault());
                if (user is null)
                {
                    await SupervisorEndpoints.NotAuthorizedAsync(context);
                    return;
                }

                context.Items[UserInfo.ItemKey] = user;
            }

            await next(context);
        });

        SupervisorEndpoints.MapJoin(app, dataDir, settings);
        app.MapFallback(context => SupervisorEndpoints.PlainAsync(context, StatusCodes.Status404NotFound, "404 page not found"));
        return app;
    }
}
