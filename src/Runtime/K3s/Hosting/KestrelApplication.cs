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

    /// <summary>
    /// Has Kestrel continue a connection's reads and writes on the thread that completed the socket operation,
    /// instead of handing each to one of its I/O queues. For the datastore's two gRPC listeners (the etcd API and
    /// the Raft peer port): a replicated write crosses four connections in a row (client to leader, leader to
    /// follower, the acknowledgement back, the answer to the client), and the handlers on the way only parse, queue
    /// and return.
    /// </summary>
    /// <remarks>
    /// Kestrel still starts each HTTP/2 request on a work item of its own, and the runtime's own inline completions
    /// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>) stay off, so the socket engine's thread never runs
    /// application code. What may now run on a connection's read loop is a streaming handler's continuation after
    /// it reads a message; a slow one holds up that connection only.
    /// <para>Measured on this project's 2-core machine (2026-12-05, <c>K3sLab.Perf raft --clients 1,200 --duration
    /// 12 --rounds 2</c>, one binary switched by a variable, three runs each way, alternating): the 3-member
    /// store's puts/s 9,033-12,868 at 200 clients with it against 8,547-11,285 without (means 11,045 and 9,943),
    /// and 1,502-1,680 against 1,251-1,714 at 1 client; in three more runs each at 1 client, 1,584-1,773 against
    /// 1,545-1,736. The spread between runs is as wide as the gain at 1 client.</para>
    /// </remarks>
    public static void PreferInlineScheduling(WebApplicationBuilder builder) =>
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
}
