using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using K3sLab.K3s.Bootstrap;
using K3sLab.K3s.Server;
using K3sLab.K3s.Store;

namespace K3sLab.K3s.Cli;

/// <summary>
/// <c>k3s server</c>, with k3s's flag names and environment variables. Flags of roles that have not landed yet
/// are not accepted rather than silently ignored; the parser names any unknown flag.
/// </summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var dataDir = EnvOption.String("--data-dir", "-d", "K3S_DATA_DIR", "Folder to hold state", DataDir.DefaultRoot);
        var token = EnvOption.String("--token", "-t", "K3S_TOKEN", "Shared secret used to join a server or agent to a cluster");
        var tokenFile = EnvOption.String("--token-file", null, "K3S_TOKEN_FILE", "File containing the token");
        var agentToken = EnvOption.String("--agent-token", null, "K3S_AGENT_TOKEN", "Shared secret used to join agents to the cluster, but not servers");
        var port = EnvOption.Int("--https-listen-port", "HTTPS listen port", 6443);
        var bind = EnvOption.String("--bind-address", null, null, "k3s bind address", "0.0.0.0");
        var advertise = EnvOption.String("--advertise-address", null, null, "IPv4/IPv6 address that the apiserver uses to advertise to members of the cluster (default: node-ip)");
        var tlsSan = EnvOption.List("--tls-san", null, "Add additional hostnames or IPv4/IPv6 addresses as Subject Alternative Names on the server TLS cert");
        var nodeName = EnvOption.String("--node-name", null, "K3S_NODE_NAME", "Node name", Dns.GetHostName().ToLowerInvariant());
        var nodeIp = EnvOption.String("--node-ip", "-i", null, "IPv4/IPv6 address to advertise for the node");
        var kubeconfig = EnvOption.String("--write-kubeconfig", "-o", "K3S_KUBECONFIG_OUTPUT", "Write kubeconfig for the admin client to this file", DefaultKubeconfig());
        var kubeconfigMode = EnvOption.String("--write-kubeconfig-mode", null, "K3S_KUBECONFIG_MODE", "Write kubeconfig with this mode, e.g. 644 (default 600)");
        var clusterDomain = EnvOption.String("--cluster-domain", null, null, "Cluster domain", "cluster.local");
        var serviceCidr = EnvOption.String("--service-cidr", null, null, "IPv4/IPv6 network CIDRs to use for service IPs", "10.43.0.0/16");
        var nodeExternalIp = EnvOption.String("--node-external-ip", null, null, "IPv4/IPv6 external IP addresses to advertise for node");
        var nodeLabel = EnvOption.List("--node-label", null, "Registering and starting kubelet with set of labels");
        var nodeTaint = EnvOption.List("--node-taint", null, "Registering kubelet with set of taints");
        var withNodeId = EnvOption.Flag("--with-node-id", null, "Append id to node name");
        var disableAgent = EnvOption.Flag("--disable-agent", null, "Do not run a local agent and register a local kubelet");
        var datastore = EnvOption.String("--datastore-endpoint", null, "K3S_DATASTORE_ENDPOINT", "Specify etcd, NATS, MySQL, Postgres, or SQLite (default) data source name");
        var datastoreCa = EnvOption.String("--datastore-cafile", null, "K3S_DATASTORE_CAFILE", "TLS Certificate Authority file used to secure datastore backend communication");
        var datastoreCert = EnvOption.String("--datastore-certfile", null, "K3S_DATASTORE_CERTFILE", "TLS certification file used to secure datastore backend communication");
        var datastoreKey = EnvOption.String("--datastore-keyfile", null, "K3S_DATASTORE_KEYFILE", "TLS key file used to secure datastore backend communication");
        var apiserverArgs = EnvOption.List("--kube-apiserver-arg", null, "(flags) Customized flag for kube-apiserver process");
        var clusterInit = EnvOption.Flag("--cluster-init", "K3S_CLUSTER_INIT", "Initialize a new cluster using embedded Etcd");
        var serverUrl = EnvOption.String("--server", "-s", "K3S_URL", "(cluster) Server to connect to, used to join a cluster");
        var clusterCidr = EnvOption.String("--cluster-cidr", null, null, "IPv4/IPv6 network CIDRs to use for pod IPs", "10.42.0.0/16");
        var clusterDns = EnvOption.String("--cluster-dns", null, null, "IPv4 Cluster IP for coredns service. Should be in your service-cidr range", "10.43.0.10");
        var snapshotOptions = new SnapshotOptions();
        var kubeletArg = EnvOption.List("--kubelet-arg", null, "Customized flag for kubelet process (this build: address=, port=, sync-frequency=)");
        var controllerManagerArg = EnvOption.List("--kube-controller-manager-arg", null, "Customized flag for kube-controller-manager process (this build: node-monitor-grace-period=, node-monitor-period=, leader-elect-*=)");
        var schedulerArg = EnvOption.List("--kube-scheduler-arg", null, "Customized flag for kube-scheduler process (this build: leader-elect-*=)");
        var disableControllerManager = EnvOption.Flag("--disable-controller-manager", null, "(components) Do not run kube-controller-manager");
        var disableScheduler = EnvOption.Flag("--disable-scheduler", null, "(components) Do not run kube-scheduler");
        var disableApiServer = EnvOption.Flag("--disable-apiserver", null, "(components) Do not run kube-apiserver");
        var disableEtcd = EnvOption.Flag("--disable-etcd", null, "(components) Do not run etcd");
        var disableKubeProxy = EnvOption.Flag("--disable-kube-proxy", null, "(components) Disable running kube-proxy");
        var localStoragePath = EnvOption.String("--default-local-storage-path", null, null, "Default local storage path for local provisioner storage class");
        var disable = EnvOption.List("--disable", null, "(components) Do not deploy packaged components and delete any deployed components (valid items: coredns, servicelb, traefik, local-storage, metrics-server, runtimes)");

        var command = new Command("server", "Run management server");
        foreach (var option in new Option[] { dataDir, token, tokenFile, agentToken, port, bind, advertise, tlsSan, nodeName, nodeIp, nodeExternalIp, nodeLabel, nodeTaint, withNodeId, kubeconfig, kubeconfigMode, clusterDomain, serviceCidr, disableAgent, datastore, datastoreCa, datastoreCert, datastoreKey, apiserverArgs, clusterInit, serverUrl, clusterCidr, clusterDns }.Concat(snapshotOptions.All))
        {
            command.Options.Add(option);
        }

        command.Options.Add(kubeletArg);
        command.Options.Add(controllerManagerArg);
        command.Options.Add(schedulerArg);
        command.Options.Add(disableControllerManager);
        command.Options.Add(disableScheduler);
        command.Options.Add(disableApiServer);
        command.Options.Add(disableEtcd);
        command.Options.Add(disableKubeProxy);
        command.Options.Add(disable);
        command.Options.Add(localStoragePath);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var loggers = RuntimeLogging.Create();
            var logger = loggers.CreateLogger("k3s");
            try
            {
                var httpsPort = parse.GetValue(port);
                if (httpsPort is < 1 or > 65535)
                {
                    throw new BootstrapException($"--https-listen-port {httpsPort} is not a TCP port (1-65535)");
                }

                var apiServerArgs = ApiServerArgs.Parse(parse.GetValue(apiserverArgs)!, logger);
                var disabled = DisabledComponents(parse.GetValue(disable)!);
                var settings = new ServerSettings(
                    new DataDir(Path.GetFullPath(parse.GetValue(dataDir)!)),
                    ReadToken(parse.GetValue(token), parse.GetValue(tokenFile)),
                    parse.GetValue(agentToken),
                    ParseAddress("--bind-address", parse.GetValue(bind)!),
                    httpsPort,
                    parse.GetValue(nodeIp) is { } ip ? ParseAddress("--node-ip", ip) : DefaultNodeIp(),
                    parse.GetValue(advertise),
                    NodeIdentity.Name(parse.GetValue(nodeName)!, parse.GetValue(withNodeId)),
                    parse.GetValue(tlsSan)!,
                    Path.GetFullPath(parse.GetValue(kubeconfig)!),
                    ParseMode(parse.GetValue(kubeconfigMode)),
                    parse.GetValue(clusterDomain)!,
                    parse.GetValue(serviceCidr)!)
                {
                    DatastoreEndpoint = CheckDatastore(parse.GetValue(datastore)),
                    DatastoreTls = new DatastoreTlsFiles(FullPath(parse.GetValue(datastoreCa)), FullPath(parse.GetValue(datastoreCert)), FullPath(parse.GetValue(datastoreKey))),
                    ClusterInit = parse.GetValue(clusterInit),
                    ServerUrl = ParseServerUrl(parse.GetValue(serverUrl)),
                    ClusterCidr = parse.GetValue(clusterCidr)!,
                    ClusterDns = CheckClusterDns(parse.GetValue(clusterDns)!, parse.GetValue(serviceCidr)!),
                    CompactionInterval = apiServerArgs.CompactionInterval,
                    ServiceAccountAdmission = apiServerArgs.ServiceAccountAdmission,
                    DisableAgent = parse.GetValue(disableAgent),
                    NodeLabels = NodeIdentity.Labels(parse.GetValue(nodeLabel)!),
                    NodeTaints = NodeIdentity.Taints(parse.GetValue(nodeTaint)!),
                    NodeExternalIp = parse.GetValue(nodeExternalIp) is { } external ? ParseAddress("--node-external-ip", external) : null,
                    ClusterReset = parse.GetValue(snapshotOptions.ClusterReset),
                    ClusterResetRestorePath = parse.GetValue(snapshotOptions.RestorePath),
                    Snapshots = snapshotOptions.Resolve(parse),
                    DisableEtcd = parse.GetValue(disableEtcd),
                    DisableApiServer = parse.GetValue(disableApiServer),
                    DisableKubeProxy = parse.GetValue(disableKubeProxy),
                    Disabled = disabled,
                    Controllers = ComponentArgs.Apply(
                        Controllers.ControllerSettings.Default with { DisableControllerManager = parse.GetValue(disableControllerManager), DisableScheduler = parse.GetValue(disableScheduler), DisableServiceLb = disabled.Contains("servicelb"), LocalStoragePath = LocalStoragePath(disabled, parse.GetValue(localStoragePath), parse.GetValue(dataDir)!) },
                        parse.GetValue(controllerManagerArg)!,
                        parse.GetValue(schedulerArg)!,
                        logger),
                };
                var kubelet = KubeletArgs.Parse(parse.GetValue(kubeletArg)!);
                settings = settings with { KubeletAddress = kubelet.Address, KubeletPort = kubelet.Port, KubeletSyncFrequency = kubelet.SyncFrequency };
                return await new K3sServer(settings, loggers).RunAsync(cancellationToken);
            }
            catch (BootstrapException e)
            {
                RuntimeLogging.Fatal(logger, e.Message);
                return 1;
            }
            catch (StoreException e)
            {
                RuntimeLogging.Fatal(logger, $"the datastore failed while the server was starting: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary><c>--server</c>: an absolute https URL, as k3s requires ("only https:// URLs are supported").</summary>
    internal static Uri? ParseServerUrl(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Host.Length == 0)
        {
            throw new BootstrapException($"--server {value} is not a URL such as https://10.0.0.1:6443");
        }

        return url.Scheme == Uri.UriSchemeHttps ? url : throw new BootstrapException($"--server {value}: only https:// URLs are supported");
    }

    /// <summary>An endpoint of a scheme no engine answers to is refused by name rather than misread.</summary>
    private static string? CheckDatastore(string? endpoint) =>
        endpoint is null || ExternalDatastore.KindOf(endpoint) is not null
            ? endpoint
            : throw new BootstrapException($"--datastore-endpoint {endpoint.Split("://")[0]}://...: unknown datastore; use sqlite://, http(s):// (etcd) or postgres://");

    private static string? FullPath(string? path) => string.IsNullOrEmpty(path) ? null : Path.GetFullPath(path);

    private static string DefaultKubeconfig() => Environment.IsPrivilegedProcess
        ? "/etc/rancher/k3s/k3s.yaml"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "k3s.yaml");

    internal static string? ReadToken(string? token, string? tokenFile)
    {
        if (tokenFile is null)
        {
            return token;
        }

        if (!File.Exists(tokenFile))
        {
            throw new BootstrapException($"--token-file {tokenFile} does not exist");
        }

        return File.ReadAllText(tokenFile).Trim();
    }

    /// <summary>A strict address parse: IPAddress.TryParse also takes shorthands such as <c>1.2.3</c>, which k3s refuses.</summary>
    internal static IPAddress ParseAddress(string flag, string value) =>
        IPAddress.TryParse(value, out var address) && (value.Contains(':', StringComparison.Ordinal) || value.Count(c => c == '.') == 3)
            ? address
            : throw new BootstrapException($"{flag} {value} is not an IPv4 or IPv6 address");

    /// <summary><c>--cluster-dns</c> must be an address of the service range, as the kube-dns Service's cluster IP.</summary>
    internal static string CheckClusterDns(string value, string serviceCidrs)
    {
        if (!IPAddress.TryParse(value, out var address))
        {
            throw new BootstrapException($"--cluster-dns {value}: not an IP address");
        }

        var ranges = serviceCidrs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => System.Net.IPNetwork.TryParse(c, out var n) ? n : (System.Net.IPNetwork?)null).OfType<System.Net.IPNetwork>();
        if (!ranges.Any(r => r.Contains(address)))
        {
            throw new BootstrapException($"--cluster-dns {value}: not in the service range --service-cidr {serviceCidrs}; the kube-dns Service's cluster IP must be one of its addresses");
        }

        return value;
    }

    /// <summary>
    /// Where the local-path provisioner keeps volumes: <c>--default-local-storage-path</c>, else
    /// <c>&lt;data-dir&gt;/storage</c> as in k3s; null under <c>--disable local-storage</c>.
    /// </summary>
    internal static string? LocalStoragePath(IReadOnlySet<string> disabled, string? flag, string dataDir) =>
        disabled.Contains("local-storage") ? null : Path.GetFullPath(flag ?? Path.Combine(dataDir, "storage"));

    /// <summary>The components of <c>--disable</c> (repeated or comma-separated); a name k3s does not know is refused.</summary>
    internal static IReadOnlySet<string> DisabledComponents(IEnumerable<string> values)
    {
        string[] known = ["coredns", "servicelb", "traefik", "local-storage", "metrics-server", "runtimes"];
        var names = values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);
        if (names.FirstOrDefault(n => !known.Contains(n)) is { } unknown)
        {
            throw new BootstrapException($"--disable {unknown}: not a packaged component (valid items: {string.Join(", ", known)})");
        }

        return names;
    }

    private static UnixFileMode? ParseMode(string? mode)
    {
        if (mode is null)
        {
            return null;
        }

        try
        {
            var bits = Convert.ToInt32(mode, 8);
            if (bits is >= 0 and <= 0x1FF)
            {
                return (UnixFileMode)bits;
            }
        }
        catch (FormatException)
        {
        }

        throw new BootstrapException(string.Create(CultureInfo.InvariantCulture, $"--write-kubeconfig-mode {mode} is not an octal file mode such as 600 or 644"));
    }

    /// <summary>The first IPv4 address of an interface that is up and not loopback, as k3s picks the node IP.</summary>
    internal static IPAddress DefaultNodeIp() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? IPAddress.Loopback;
}
