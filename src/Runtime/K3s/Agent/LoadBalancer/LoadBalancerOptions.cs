using System.Net;

namespace K3sLab.K3s.Agent.LoadBalancer;

/// <summary>
/// Where an agent load balancer listens, what it falls back to and where it keeps its server list. k3s runs one as
/// <c>k3s-agent-load-balancer</c> on <c>127.0.0.1:6444</c> (<c>--lb-server-port</c>) with its list in
/// <c>${data-dir}/agent/etc/k3s-agent-load-balancer.json</c>.
/// </summary>
internal sealed record LoadBalancerOptions
{
    /// <summary>The service name k3s gives this balancer; it names the state file and prefixes log lines.</summary>
    public required string ServiceName { get; init; }

    /// <summary>The loopback endpoint clients connect to; port 0 picks a free port (tests).</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>The <c>--server</c> URL. The state file is trusted only when it was written for this same URL.</summary>
    public required string ServerUrl { get; init; }

    /// <summary>The <c>agent/etc/&lt;service&gt;.json</c> file the server list is saved to and reloaded from.</summary>
    public required string StateFile { get; init; }

    /// <summary>
    /// The last-resort server (host:port), tried only when every listed server failed; null when <c>--server</c>
    /// points at the balancer itself. <see cref="DefaultServerOf"/> derives it the way k3s does.
    /// </summary>
    public string? DefaultServer { get; init; }

    /// <summary>
    /// Servers set before the balancer listens (the lab's balancer, whose list is given on its command line), so no
    /// connection arrives while it knows none; empty leaves the list to the state file and <c>SetServers</c>.
    /// </summary>
    public IReadOnlyList<string> InitialServers { get; init; } = [];

    /// <summary>
    /// How long one dial may take before the next server is tried: 3 s by default. A lost SYN is retransmitted after
    /// 1 s, so a live but busy server on the LAN still answers in time, while two unreachable servers ahead in the
    /// order cost 6 s, well inside client-go's own 30 s dial timeout. Refused dials fail at once regardless.
    /// </summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How often every server's health is checked: every 2 s by default (k3s's loop reports every second; its
    /// <c>/ping</c> checks elsewhere run every 5 s). A hung server is noticed within interval + timeout, 4 s; a
    /// refused one at the next check or dial. <see cref="Timeout.InfiniteTimeSpan"/> turns the periodic loop off
    /// (callers then drive <see cref="LoadBalancerHost.CheckHealthAsync"/> themselves).
    /// </summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long one health check may take before it counts as failed: 2 s by default. One failure fails an active
    /// server and closes its connections, so a check must be clearly missed, not just slow under load (k3s#10240).
    /// </summary>
    public TimeSpan HealthCheckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The default server k3s derives from <c>--server</c>: its host:port (443 when the URL has no port), or null when
    /// the URL is the balancer's own loopback endpoint.
    /// </summary>
    public static string? DefaultServerOf(string serverUrl, IPEndPoint listen)
    {
        if (!Uri.TryCreate(serverUrl, UriKind.Absolute, out var url) || url.Host.Length == 0)
        {
            return null;
        }

        var address = $"{url.Host}:{url.Port}";
        var pointsAtItself = url.Port == listen.Port
            && (url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && ip.Equals(listen.Address)));
        return pointsAtItself ? null : address;
    }
}
