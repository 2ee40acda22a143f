using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Hosting;
using K3sLab.K3s.Kubelet.Logs;
using K3sLab.K3s.Kubelet.Pods;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace K3sLab.K3s.Kubelet.Server;

/// <summary>
/// The kubelet's HTTPS API (port 10250): <c>GET /containerLogs/{namespace}/{pod}/{container}</c>, the streaming
/// endpoints <c>/exec</c>, <c>/attach</c> and <c>/portForward</c> (<c>KubeletApi.Streaming.cs</c>) and
/// <c>GET /metrics/resource</c> (the node's and its containers' CPU and memory for metrics-server) and
/// <c>GET /healthz</c>, served with the node's serving certificate (<c>agent/serving-kubelet.crt</c>).
/// </summary>
/// <remarks>
/// Authentication is the kubelet's x509 mode with anonymous access off: a client certificate that chains to the
/// cluster client CA, else 401 <c>Unauthorized</c>. Authorization stands in for k3s's webhook (which lets the API
/// server's <c>system:kube-apiserver</c> identity do everything through <c>system:kubelet-api-admin</c>): only that
/// user passes; anyone else gets the kubelet's 403 <c>Forbidden (user=..., verb=..., resource=nodes,
/// subresource=proxy)</c>. Errors are the kubelet's plain-text bodies.
/// </remarks>
internal sealed partial class KubeletApi : IAsyncDisposable
{
    /// <summary>The one identity allowed in: the API server's kubelet client certificate.</summary>
    public const string ApiServerUser = "system:kube-apiserver";

    private readonly WebApplication _app;

    private KubeletApi(WebApplication app) => _app = app;

    /// <summary>
    /// Binds <see cref="KubeletSettings.ServerEndpoint"/> and serves until disposed. The caller keeps ownership of
    /// both certificates.
    /// </summary>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<KubeletApi> StartAsync(KubeletSettings settings, X509Certificate2 serving, X509Certificate2 clientCa, PodSync pods, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var builder = KestrelApplication.CreateBuilder();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(settings.ServerEndpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = serving;
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            });
        });

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
            if (certificate is null || !ChainsTo(certificate, clientCa))
            {
                await PlainAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized");
                return;
            }

            var user = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            if (user != ApiServerUser)
            {
                Log.Forbidden(logger, user, context.Request.Path.Value ?? "/");
                await PlainAsync(context, StatusCodes.Status403Forbidden, $"Forbidden (user={user}, verb={Verb(context.Request.Method)}, resource=nodes, subresource=proxy)\n");
                return;
            }

            await next(context);
        });
        app.UseWebSockets();
        app.MapGet("/healthz", context => PlainAsync(context, StatusCodes.Status200OK, "ok"));
        app.Map("/containerLogs/{**path}", context => ContainerLogsAsync(context, pods, time));
        var usage = new Stats.ResourceUsageReader();
        app.MapGet("/metrics/resource", context => ResourceMetricsAsync(context, pods, usage, time));
        MapStreaming(app, pods, time, logger);
        app.MapFallback(context => PlainAsync(context, StatusCodes.Status404NotFound, "404 page not found\n"));
        await app.StartAsync(cancellationToken);
        Log.Listening(logger, settings.ServerEndpoint.ToString());
        return new KubeletApi(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    /// <summary>
    /// <c>/metrics/resource</c>: the node's and its running containers' CPU and memory, read now, as the kubelet's
    /// resource metrics endpoint serves them to metrics-server.
    /// </summary>
    private static async Task ResourceMetricsAsync(HttpContext context, PodSync pods, Stats.ResourceUsageReader usage, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var text = Stats.ResourceMetricsText.Write(usage.ReadNode(now), usage.ReadContainers(pods.RunningContainers(), now));
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = Stats.ResourceMetricsText.ContentType;
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    /// <summary><c>/containerLogs/{namespace}/{pod}/{container}</c>, as the kubelet's <c>getContainerLogs</c>.</summary>
    private static async Task ContainerLogsAsync(HttpContext context, PodSync pods, TimeProvider time)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET";
            await PlainAsync(context, StatusCodes.Status405MethodNotAllowed, "Method Not Allowed");
            return;
        }

        var parts = ((string?)context.Request.RouteValues["path"] ?? string.Empty).Split('/');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, "404 page not found\n");
            return;
        }

        var options = ContainerLogOptions.Parse(key => context.Request.Query[key].LastOrDefault(), out var status, out var error);
        if (options is null)
        {
            await PlainAsync(context, status, error!);
            return;
        }

        var (ns, name, container) = (parts[0], parts[1], parts[2]);
        if (pods.Find(ns, name) is not { } worker)
        {
            await PlainAsync(context, StatusCodes.Status404NotFound, $"pod \"{name}\" does not exist");
            return;
        }

        var target = worker.LogTarget(container, options.Previous);
        if (target.Path is null)
        {
            await PlainAsync(context, target.Status, target.Error!);
            return;
        }

        context.Response.ContentType = "text/plain";
        FileStream file;
        try
        {
            file = new FileStream(target.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
        }
        catch (FileNotFoundException)
        {
            // A run that never wrote (or a log removed with its pod): an empty log, as for a container that printed nothing.
            await context.Response.StartAsync(context.RequestAborted);
            return;
        }
        catch (DirectoryNotFoundException)
        {
            await context.Response.StartAsync(context.RequestAborted);
            return;
        }

        await using (file)
        {
            await context.Response.StartAsync(context.RequestAborted);
            try
            {
                await ContainerLogCopier.CopyAsync(file, context.Response.Body, options, target.Live, time, context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away while following.
            }
        }
    }

    private static string Verb(string method) => method.ToUpperInvariant() switch
    {
        "POST" => "create",
        "GET" => "get",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => string.Empty,
    };

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.Thumbprint == ca.Thumbprint;
    }

    private static Task PlainAsync(HttpContext context, int code, string text)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
