using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using K3sLab.K3s.Agent.LoadBalancer;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Kubelet;
using K3sLab.K3s.Kubelet.Client;

namespace K3sLab.K3s.Agent;

/// <summary>
/// Runs the agent role, in k3s's order: start the client-side load balancer on <c>127.0.0.1:&lt;lb-server-port&gt;</c>
/// (its saved server list lets a restarted agent come back while the <c>--server</c> is down), then through it trust
/// the cluster CA by the token's hash, read <c>/v1-k3s/config</c>, obtain the kubelet's client and serving
/// certificates with the node password, learn the API servers, and run the kubelet against the balancer and a
/// <c>/v1-k3s/connect</c> tunnel to every server (<see cref="AgentTunnels"/>) until cancelled (SIGINT/SIGTERM). A step that fails because a server is not there or not ready is retried every 5–10 s;
/// a wrong token ends the process.
/// </summary>
internal sealed partial class K3sAgent(AgentSettings settings, ILoggerFactory loggers)
{
    public const string LoadBalancerService = "k3s-agent-load-balancer";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = loggers.CreateLogger("k3s.agent");
    private PingHealthCheck? _ping;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Log.Starting(_logger, Cli.RuntimeVersion.Version, settings.DataDir.Root, settings.ServerUrl.ToString(), settings.NodeName);
        PlantedBugs.ThrowIfUnknown();
        if (PlantedBugs.Active is { } bug)
        {
            Log.PlantedBug(_logger, bug, PlantedBugs.Variable);
        }

        var password = NodePasswordFile.Ensure(settings.NodePasswordFile, settings.DataDir);
        Directory.CreateDirectory(settings.DataDir.Agent);

        var listen = new IPEndPoint(IPAddress.Loopback, settings.LoadBalancerPort);
        var url = $"https://{settings.ServerUrl.Host}:{settings.ServerUrl.Port}";
        LoadBalancerHost balancer;
        try
        {
            balancer = LoadBalancerHost.Start(
                new LoadBalancerOptions
                {
                    ServiceName = LoadBalancerService,
                    Listen = listen,
                    ServerUrl = url,
                    StateFile = settings.DataDir.AgentLoadBalancerState,
                    DefaultServer = LoadBalancerOptions.DefaultServerOf(url, listen),
                },
                CheckAsync,
                loggers.CreateLogger("k3s.loadbalancer"));
        }
        catch (SocketException e)
        {
            throw new BootstrapException($"the agent load balancer cannot listen on {listen}: {e.Message}; choose another port with --lb-server-port");
        }

        await using (balancer)
        {
            var supervisorUrl = new Uri($"https://{listen}");
            var joined = await JoinAsync(supervisorUrl, password, cancellationToken);
            if (joined is null)
            {
                return 0;
            }

            using var ca = joined.Ca;
            using var client = joined.Client;
            using var serving = joined.Serving;
            using var supervisor = joined.Supervisor;
            using var ping = _ping = new PingHealthCheck(ca);
            balancer.SetServers(joined.ApiServers);

            using var api = new ApiClient(supervisorUrl, client, ca);
            await using var listWatch = new ApiServerListWatch(api, supervisor, balancer, TimeProvider.System, loggers.CreateLogger("k3s.loadbalancer"));
            Log.StartingKubelet(_logger, settings.NodeName, supervisorUrl.ToString());
            using var clientCa = NodeCertificateRequest.IssuerOf(settings.DataDir.Agent, "client-kubelet");
            var kubeletSettings = new KubeletSettings(settings.NodeName, settings.NodeIp, settings.NodeExternalIp, settings.NodeLabels, settings.NodeTaints, ControlPlane: false, supervisorUrl, settings.DataDir.Agent)
            {
                ServerAddress = settings.KubeletAddress,
                ServerPort = settings.KubeletPort,
                SyncFrequency = settings.KubeletSyncFrequency,
                InClusterApi = joined.InClusterApi,
                ClusterDns = joined.ClusterDns,
                ClusterDomain = joined.ClusterDomain,
            };
            await using var kubelet = Kubelet.Kubelet.Start(kubeletSettings, client, ca, serving, clientCa, TimeProvider.System, loggers);
            using var kubeProxyCertificate = joined.KubeProxy;
            using var proxyClient = kubeProxyCertificate is null ? null : new ApiClient(supervisorUrl, kubeProxyCertificate, ca, "kube-proxy");
            await using var proxy = proxyClient is null ? null : Proxy.ServiceProxy.Start(proxyClient, kubeletSettings.NodeName, TimeProvider.System, loggers.CreateLogger("k3s.proxy"));
            await using var tunnels = new AgentTunnels(() => balancer.Servers, client, ca, kubeletSettings.LocalServerEndpoint, balancer.ReportTunnelClosed, TimeProvider.System, loggers.CreateLogger("k3s.tunnel"));
            var trim = StartupMemoryTrim.RunAsync(TimeProvider.System, cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Log.Stopping(_logger);
            }

            await trim;
        }

        return 0;
    }

    /// <summary>The join steps, retried while the servers are not there or not ready; null when cancelled first.</summary>
    private async Task<AgentJoin?> JoinAsync(
        Uri supervisorUrl, string password, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await JoinOnceAsync(supervisorUrl, password, cancellationToken);
            }
            catch (ServerNotReadyException e)
            {
                if (e.Message == SupervisorClient.PasswordRejected)
                {
                    Log.PasswordRejected(_logger, e.Message);
                }
                else
                {
                    Log.Waiting(_logger, e.Message);
                }
            }

            try
            {
                await Task.Delay(RetryDelay * (1 + Random.Shared.NextDouble()), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    private async Task<AgentJoin> JoinOnceAsync(
        Uri supervisorUrl, string password, CancellationToken cancellationToken)
    {
        byte[] caPem;
        try
        {
            caPem = await ClusterCaFetcher.FetchAsync(supervisorUrl, settings.Token, cancellationToken);
        }
        catch (ServerNotReadyException)
        {
            throw new ServerNotReadyException($"failed to get CA certs from {settings.ServerUrl} or the servers it listed: no server answered /cacerts through the agent load balancer");
        }

        if (!settings.Token.IsSecure)
        {
            Log.ShortToken(_logger);
        }

        var ca = X509CertificateLoader.LoadCertificate(caPem);
        var supervisor = new SupervisorClient(supervisorUrl, ca, settings.Token.Password);
        X509Certificate2? client = null;
        X509Certificate2? kubeProxy = null;
        try
        {
            var config = await supervisor.ConfigAsync(cancellationToken);
            client = await CertificateAsync(supervisor, supervisorUrl, serving: false, password, cancellationToken);
            var serving = await CertificateAsync(supervisor, supervisorUrl, serving: true, password, cancellationToken);
            kubeProxy = config["DisableKubeProxy"] is System.Text.Json.Nodes.JsonValue off && off.TryGetValue<bool>(out var disabled) && disabled
                ? null
                : KubeProxyCredentials.Save(settings.DataDir.Agent, await supervisor.KubeProxyCertificateAsync(cancellationToken));
            var servers = await supervisor.ApiServersAsync(cancellationToken);
            Log.Joined(_logger, settings.NodeName, string.Join(" ", servers));
            var inClusterApi = kubeProxy is not null && config["ServiceCIDR"] is System.Text.Json.Nodes.JsonValue cidr && cidr.TryGetValue<string>(out var serviceCidr) && System.Net.IPNetwork.TryParse(serviceCidr, out _)
                ? new Uri($"https://{Bootstrap.ServerBootstrap.FirstServiceAddress(serviceCidr)}:443")
                : null;
            var clusterDns = kubeProxy is not null && config["ClusterDNS"] is System.Text.Json.Nodes.JsonValue dns && dns.TryGetValue<string>(out var dnsAddress) && IPAddress.TryParse(dnsAddress, out var dnsIp)
                ? dnsIp
                : null;
            var clusterDomain = config["ClusterDomain"] is System.Text.Json.Nodes.JsonValue domain && domain.TryGetValue<string>(out var domainName) && domainName.Length > 0 ? domainName : "cluster.local";
            return new AgentJoin(ca, client, serving, supervisor, servers, kubeProxy, inClusterApi, clusterDns, clusterDomain);
        }
        catch
        {
            kubeProxy?.Dispose();
            client?.Dispose();
            supervisor.Dispose();
            ca.Dispose();
            throw;
        }
    }

    private Task<X509Certificate2> CertificateAsync(SupervisorClient supervisor, Uri supervisorUrl, bool serving, string password, CancellationToken cancellationToken)
    {
        var ips = settings.NodeExternalIp is { } external ? $"{settings.NodeIp},{external}" : settings.NodeIp.ToString();
        return NodeCertificateRequest.RequestAsync(supervisor, supervisorUrl, settings.DataDir.Agent, settings.NodeName, ips, password, serving, cancellationToken);
    }

    /// <summary>
    /// The balancer's health check: <c>/ping</c> against the cluster CA once it is known; before that, whether the
    /// server accepts a TCP connection, which is all the balancer needs to choose where to send the first requests.
    /// </summary>
    private async Task<bool> CheckAsync(string address, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _ping) is { } ping)
        {
            return await ping.CheckAsync(address, cancellationToken);
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address[(colon + 1)..], out var port))
        {
            return false;
        }

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address[..colon].Trim('[', ']'), port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
