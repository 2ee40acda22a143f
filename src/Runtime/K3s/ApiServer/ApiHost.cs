using System.Collections.Concurrent;
using K3sLab.K3s.ApiServer.Authentication;
using K3sLab.K3s.ApiServer.Authorization;
using K3sLab.K3s.ApiServer.Discovery;
using K3sLab.K3s.ApiServer.Endpoints;
using K3sLab.K3s.ApiServer.Errors;
using K3sLab.K3s.ApiServer.Http;
using K3sLab.K3s.ApiServer.Metrics;
using K3sLab.K3s.ApiServer.OpenApi;
using K3sLab.K3s.ApiServer.Resources;
using K3sLab.K3s.ApiServer.Resources.Services;
using K3sLab.K3s.ApiServer.Storage;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Hosting;
using K3sLab.K3s.Supervisor;
using K3sLab.K3s.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace K3sLab.K3s.ApiServer;

/// <summary>
/// The server's HTTPS listener (port 6443 by default), serving HTTP/2 and HTTP/1.1 with the cluster's serving
/// certificate. It carries the supervisor endpoints and the Kubernetes API: public health, version and CA
/// endpoints first, then x509 client-certificate authentication (anything else unauthenticated gets a 401
/// <c>Status</c>), then discovery. Resources are served as the API layers land; unknown paths get a 404 <c>Status</c>.
/// </summary>
internal static class ApiHost
{
    private static readonly string[] PublicPrefixes = ["/healthz", "/livez", "/readyz", "/version", "/cacerts", "/ping"];

    public static WebApplication Build(ApiHostOptions options, ClusterTls tls, DataDir dataDir, ObjectStorage storage, ResourceRegistry registry, RbacPolicyCache policy, INodeGraph nodeGraph, ServiceAccountTokens serviceAccountTokens, ObjectCache? serviceAccounts = null, ILoggerProvider? logging = null)
    {
        var builder = KestrelApplication.CreateBuilder(logging);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 3 * 1024 * 1024;
            kestrel.Listen(options.BindAddress, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = tls.Serving;

                    // Ask for a client certificate but decide in the authenticator, so a stranger's certificate
                    // gets kube-apiserver's 401 instead of a failed handshake.
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            });
        });

        var app = builder.Build();
        var metrics = new ApiMetrics();
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "/";
            if (SupervisorEndpoints.Serves(path))
            {
                await next(context);
                return;
            }

            var info = RequestInfo.For(context);
            var served = info is not null && registry.Find(info.Group, info.Version, info.Resource) is not null;
            using var tracker = metrics.Start(served ? info : null, context.Request.Method, context.Request.Query.ContainsKey("dryRun"));
            await next(context);
            tracker.Complete(context.Response.StatusCode);
        });
        var authenticator = new ClientCertificateAuthenticator(tls.ClientCa, TimeProvider.System);
        var passwd = new PasswdAuthenticator(dataDir.PasswdFile);
        var bearer = new BearerAuthenticator(serviceAccountTokens, storage, serviceAccounts);
        var tokenEndpoints = new TokenEndpoints(bearer, storage, TimeProvider.System);

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "/";
            if (!PublicPrefixes.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal)) && !SupervisorEndpoints.AllowsAnonymous(context))
            {
                var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted);
                var supervisor = SupervisorEndpoints.Serves(path);

                // Join-token credentials (HTTP Basic) are for the supervisor only, as in k3s; the Kubernetes API takes certificates.
                var authorization = context.Request.Headers.Authorization.FirstOrDefault();
                var user = authenticator.Authenticate(certificate)
                    ?? (supervisor ? passwd.Authenticate(authorization) : await bearer.AuthenticateAsync(authorization, context.RequestAborted));
                if (user is null)
                {
                    await (supervisor ? SupervisorEndpoints.NotAuthorizedAsync(context) : StatusResponse.UnauthorizedAsync(context));
                    return;
                }

                if (!supervisor && Impersonation.Requested(context.Request.Headers))
                {
                    try
                    {
                        user = Impersonation.Apply(user, context.Request.Headers, policy.Allows);
                    }
                    catch (ApiStatusException e)
                    {
                        await StatusResponse.WriteAsync(context, e);
                        return;
                    }
                }

                context.Items[UserInfo.ItemKey] = user;
                if (!supervisor)
                {
                    var request = RequestAuthorization.Describe(context.Request.Method, path, RequestInfo.For(context));
                    if (!NodeAuthorizer.Allows(user, request, nodeGraph) && !policy.Allows(user, request)
                        && !await NodeAuthorizer.AllowsLiveAsync(user, request, storage, context.RequestAborted))
                    {
                        await StatusResponse.WriteAsync(context, RequestAuthorization.Denied(user, request));
                        return;
                    }
                }
            }

            await next(context);
        });

        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(10) });
        SupervisorEndpoints.Map(
            app,
            dataDir,
            options.Supervisor ?? new SupervisorSettings(new Server.CriticalConfig("10.42.0.0/16", options.ServiceCidr, "10.43.0.10", "cluster.local")),
            new KubeletCertificates(tls, storage, TimeProvider.System));
        var version = VersionInfo.Render();
        app.MapGet("/version", context => Json(context, version));
        HealthEndpoints.Map(app, storage.Store);
        app.MapGet("/metrics", context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.WriteAsync(metrics.Render(), context.RequestAborted);
        });

        var coreVersions = DiscoveryDocuments.CoreVersions($"{options.AdvertiseAddress}:{options.Port}");
        var groupList = new PerGeneration<byte[]>(registry, DiscoveryDocuments.GroupList);
        app.MapGet("/api", context => Json(context, coreVersions));
        app.MapGet("/apis", context => Json(context, groupList.Value));
        // Resource lists are built once per registry generation and group/version, not per request.
        var resourceLists = new PerGeneration<ConcurrentDictionary<(string, string), byte[]>>(registry, _ => new());
        byte[]? ResourceList(string group, string version)
        {
            var lists = resourceLists.Value;
            if (lists.TryGetValue((group, version), out var known))
            {
                return known;
            }

            // Only served group/versions are kept, so requests for made-up ones cannot grow the cache.
            var built = DiscoveryDocuments.ResourceList(registry.All, group, version);
            return built is null ? null : lists.GetOrAdd((group, version), built);
        }

        app.MapGet("/api/v1", context => JsonOrNotFound(context, ResourceList(string.Empty, "v1")));
        app.MapGet("/apis/{group}", context => JsonOrNotFound(context, DiscoveryDocuments.Group(registry.All, (string)context.Request.RouteValues["group"]!)));
        app.MapGet("/apis/{group}/{version}", context => JsonOrNotFound(context, ResourceList(
            (string)context.Request.RouteValues["group"]!, (string)context.Request.RouteValues["version"]!)));
        var openApi = new PerGeneration<OpenApiV3>(registry, all => new OpenApiV3(all, Cli.RuntimeVersion.KubernetesVersion));
        var openApiV2 = new PerGeneration<byte[]>(registry, _ => OpenApiV2.Render(openApi.Value.Parsed, Cli.RuntimeVersion.KubernetesVersion));
        app.MapGet("/openapi/v2", context =>
        {
            context.Response.ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
            return context.Response.Body.WriteAsync(openApiV2.Value, context.RequestAborted).AsTask();
        });
        app.MapGet("/openapi/v3", context => Json(context, openApi.Value.Index));
        app.MapGet("/openapi/v3/{**path}", context => JsonOrNotFound(context, openApi.Value.Document((string)context.Request.RouteValues["path"]!)));
        var tunnels = new TunnelSessions();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        TunnelEndpoint.Map(app, tunnels, app.Lifetime, loggers.CreateLogger("k3s.tunnel"));
        var kubelets = new Kubelets.KubeletClient(tunnels, tls.KubeletClient, tls.ServerCa.Certificate, loggers.CreateLogger("k3s.kubelet-client"));
        app.Lifetime.ApplicationStopped.Register(kubelets.Dispose);
        var resources = new ResourceHandler(storage, registry, ServiceRange(storage, options.ServiceCidr), policy, TimeProvider.System, kubelets, options.ServiceAccountAdmission, serviceAccounts);
        var reviews = new AccessReviews(policy);
        var components = options.Components ?? new Components.ComponentStatuses(storage.Store);
        var usage = new ResourceMetrics.MetricsStore();
        if (registry.Find(ResourceMetrics.MetricsDocuments.Group, ResourceMetrics.MetricsDocuments.Version, "nodes") is not null)
        {
            // metrics-server runs with the API it feeds: started with the listener, told to stop with it (not awaited:
            // a cycle cut short by the kubelet client's disposal ends quietly).
            ResourceMetrics.MetricsScraper? scraper = null;
            app.Lifetime.ApplicationStarted.Register(() => scraper = ResourceMetrics.MetricsScraper.Start(storage, kubelets, usage, TimeProvider.System, loggers.CreateLogger("k3s.metrics-server")));
            app.Lifetime.ApplicationStopping.Register(() => _ = scraper?.DisposeAsync().AsTask());
        }

        app.Map("/api/{version}/{**rest:minlength(1)}", context => ServeResourceAsync(context, resources, reviews, tokenEndpoints, registry, components, usage, storage));
        app.Map("/apis/{group}/{version}/{**rest:minlength(1)}", context => ServeResourceAsync(context, resources, reviews, tokenEndpoints, registry, components, usage, storage));
        app.MapFallback(StatusResponse.NotFoundAsync);
        return app;
    }

    /// <summary>Routes a resource path to the generic handler; anything it does not serve is a 404 <c>Status</c>.</summary>
    private static async Task ServeResourceAsync(HttpContext context, ResourceHandler handler, AccessReviews reviews, TokenEndpoints tokens, ResourceRegistry registry, Components.ComponentStatuses components, ResourceMetrics.MetricsStore usage, ObjectStorage storage)
    {
        var info = RequestInfo.For(context);
        var resource = info is null ? null : registry.Find(info.Group, info.Version, info.Resource);
        var review = resource is not null && AccessReviews.Serves(resource.Group, resource.Name);
        var tokenRequest = resource is { Group: "", Name: "serviceaccounts" } && info!.Subresource == "token" && info.Name.Length > 0;
        var tokenReview = resource is { Group: "authentication.k8s.io", Name: "tokenreviews" };
        var binding = resource is { Group: "", Name: "bindings" } && info!.Namespace.Length > 0 && info.Name.Length == 0;
        var componentStatus = resource is { Group: "", Name: Components.ComponentStatusEndpoint.Resource } && info!.Namespace.Length == 0;
        var resourceMetrics = resource is not null && ResourceMetrics.MetricsResources.Serves(resource);
        if (info is null || resource is null || !(review || tokenRequest || tokenReview || binding || componentStatus || resourceMetrics || ResourceHandler.Serves(resource)))
        {
            await StatusResponse.NotFoundAsync(context);
            return;
        }

        try
        {
            var user = (UserInfo)context.Items[UserInfo.ItemKey]!;
            await (tokenRequest ? tokens.IssueAsync(context, info)
                : tokenReview ? tokens.ReviewAsync(context, info)
                : review ? reviews.HandleAsync(context, info, user)
                : binding ? handler.BindAsync(context, info, context.RequestAborted)
                : componentStatus ? Components.ComponentStatusEndpoint.HandleAsync(context, info, components, TimeProvider.System)
                : resourceMetrics ? ResourceMetrics.MetricsEndpoint.HandleAsync(context, info, usage, storage, TimeProvider.System)
                : handler.HandleAsync(context, info, resource));
        }
        catch (ApiStatusException e) when (!context.Response.HasStarted)
        {
            await StatusResponse.WriteAsync(context, e);
        }
        catch (Store.StoreException e) when (!context.Response.HasStarted)
        {
            // No quorum, a timed-out proposal, a full disk: the client gets etcd's message, as from kube-apiserver.
            await StatusResponse.WriteAsync(context, ApiErrors.FromStore(e));
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // Kestrel's own refusals while the body is read, chiefly the 3 MiB request limit kube-apiserver also has.
            await StatusResponse.WriteAsync(context, e.StatusCode == 413
                ? new ApiStatusException(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
                : new ApiStatusException(e.StatusCode, "BadRequest", e.Message));
        }
        catch (ApiStatusException)
        {
            // A watch already streaming: the client sees the stream end and re-watches.
            context.Abort();
        }
    }

    /// <summary>The IPv4 range of <c>--service-cidr</c> (the first IPv4 entry of a dual-stack list).</summary>
    public static ServiceAddresses ServiceRange(ObjectStorage storage, string cidrs) =>
        new(storage, cidrs.Split(',').Select(c => System.Net.IPNetwork.Parse(c.Trim())).First(n => n.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork));

    private static Task Json(HttpContext context, byte[] body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static Task JsonOrNotFound(HttpContext context, byte[]? body) =>
        body is null ? StatusResponse.NotFoundAsync(context) : Json(context, body);
}
