namespace K3sLab.K3s.Hosting;

/// <summary>
/// The one way the runtime builds its HTTP listeners (the API server, the kubelet API, the etcd API and the Raft
/// peer server): Kestrel and routing, with no configuration sources at all. ASP.NET Core's default builders read
/// <c>appsettings.json</c> and environment variables, and watch the content root (the working directory) for
/// changes, recursively. Started from <c>/</c>, as in a node container or under systemd, that is one inotify watch
/// per directory of the machine (51,203 on the development VM, about 24 MiB of memory), a thread woken by
/// every file written anywhere, and a stray <c>appsettings.json</c> or <c>ASPNETCORE_*</c> variable could change
/// the listeners. Everything these hosts need is set in code.
/// </summary>
internal static class KestrelApplication
{
    /// <summary>A builder with Kestrel, minimal routing and only <paramref name="logging"/> as a log sink.</summary>
    public static WebApplicationBuilder CreateBuilder(ILoggerProvider? logging = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            builder.Logging.AddProvider(logging);
        }

        return builder;
    }
}
