using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using K3sLab.ConformanceTests.Datastore;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// One <c>k3s server</c> process of a multi-server test cluster. Each server has its own loopback address (its node
/// IP and bind address), so every one uses k3s's fixed ports (6443, 2379, 2380) as it would on its own machine.
/// Start it again after <see cref="NodeProcess.KillAsync"/> or <see cref="NodeProcess.StopAsync"/> to restart it from its data dir.
/// Servers run with <c>--disable-kube-proxy</c>, which their agents inherit, and <c>--disable coredns</c>: the node
/// here is the test machine, whose iptables the service proxy would write and whose port 53 the cluster DNS would take.
/// </summary>
internal sealed class ServerNode(string name, IPAddress address, string root) : NodeProcess(name, address, root)
{
    public string Kubeconfig => Path.Combine(Folder, "k3s.yaml");

    public string Url => $"https://{Address}:6443";

    /// <summary>Whether the next <see cref="Start"/> runs the server's own kubelet (off by default, as most tests need no Node).</summary>
    public bool RunsKubelet { get; set; }

    public string EtcdUrl => $"https://{Address}:2379";

    public string Token => File.ReadAllText(Path.Combine(DataDir, "server", "token")).Trim();

    /// <summary>The token agents join with (<c>server/agent-token</c>).</summary>
    public string AgentToken => File.ReadAllText(Path.Combine(DataDir, "server", "agent-token")).Trim();

    /// <summary>etcdctl's TLS flags for this server's datastore client port.</summary>
    public string[] EtcdctlTls =>
    [
        $"--cacert={Path.Combine(DataDir, "server", "tls", "etcd", "server-ca.crt")}",
        $"--cert={Path.Combine(DataDir, "server", "tls", "etcd", "server-client.crt")}",
        $"--key={Path.Combine(DataDir, "server", "tls", "etcd", "server-client.key")}",
    ];

    /// <summary>Starts <c>k3s server</c> with the given flags after the per-node ones; does not wait.</summary>
    public void Start(params string[] flags) => StartProcess(
    [
        "server", .. RunsKubelet ? Array.Empty<string>() : ["--disable-agent"], "--disable-kube-proxy", "--disable=coredns", "--data-dir", DataDir, "--node-name", Name,
        "--node-ip", Address.ToString(), "--bind-address", Address.ToString(), "--write-kubeconfig", Kubeconfig,
        .. flags,
    ]);

    /// <summary>Waits until the API port accepts connections; fails with the log if the process exits first.</summary>
    public async Task WaitListeningAsync(TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            using (var client = new TcpClient())
            {
                try
                {
                    await client.ConnectAsync(Address, 6443, ct);
                    return;
                }
                catch (SocketException)
                {
                }
            }

            if (!IsRunning || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{Name} is not listening on {Url} (exit code {ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none: still running"}):\n{Log}");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>kubectl 1.33 against this server (not through any balancer), each request bounded to 20 s.</summary>
    public Task<KubectlResult> KubectlAsync(CancellationToken ct, params string[] args) => KubectlAsync("1.33", ct, args);

    /// <summary>kubectl of <paramref name="version"/> (e.g. <c>1.27</c>) against this server, each request bounded to 20 s.</summary>
    public Task<KubectlResult> KubectlAsync(string version, CancellationToken ct, params string[] args) =>
        Kubectl.RunAsync(version, Kubeconfig, ct, ["--server", Url, "--request-timeout", "20s", .. args]);

    /// <summary><c>kubectl apply</c> of <paramref name="yaml"/> (written to a file of this node's folder); fails the test on a refusal.</summary>
    public async Task ApplyAsync(string yaml, CancellationToken ct)
    {
        var file = Path.Combine(Folder, $"apply-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml, ct);
        var result = await KubectlAsync(ct, "apply", "-f", file);
        result.ExitCode.Should().Be(0, result.Stderr);
    }

    /// <summary>Waits until every one of <paramref name="nodes"/> is Ready as this server reports it; fails with what it last saw.</summary>
    public async Task WaitNodesReadyAsync(IReadOnlyCollection<string> nodes, TimeSpan within, CancellationToken ct)
    {
        var result = await Eventually.UntilAsync(
            () => KubectlAsync(ct, "get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}"),
            r => r.ExitCode == 0 && nodes.All(n => r.Stdout.Split('\n').Contains($"{n}=True")),
            within,
            ct);
        result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Contain(nodes.Select(n => $"{n}=True"), $"every node is Ready within {within.TotalSeconds:0} s\n{result.Stderr}");
    }

    /// <summary>The datastore's members as <c>etcdctl member list</c> shows them here; empty while it does not answer.</summary>
    public async Task<IReadOnlyList<(string Name, bool IsLearner)>> MembersAsync(CancellationToken ct)
    {
        var result = await Etcdctl.RunAsync(EtcdUrl, [.. EtcdctlTls, "member", "list", "-w", "json"], null, TimeSpan.FromSeconds(10), ct);
        if (result.ExitCode != 0 || JsonNode.Parse(result.Stdout)?["members"] is not JsonArray list)
        {
            return [];
        }

        return [.. list.OfType<JsonObject>().Select(m => (m["name"]?.GetValue<string>() ?? string.Empty, m["isLearner"]?.GetValue<bool>() ?? false))];
    }

    /// <summary>Each member's name and first peer URL as <c>etcdctl member list</c> shows them here; empty while it does not answer.</summary>
    public async Task<IReadOnlyList<(string Name, string PeerUrl)>> PeerUrlsAsync(CancellationToken ct)
    {
        var result = await Etcdctl.RunAsync(EtcdUrl, [.. EtcdctlTls, "member", "list", "-w", "json"], null, TimeSpan.FromSeconds(10), ct);
        if (result.ExitCode != 0 || JsonNode.Parse(result.Stdout)?["members"] is not JsonArray list)
        {
            return [];
        }

        return [.. list.OfType<JsonObject>().Select(m => (m["name"]?.GetValue<string>() ?? string.Empty, (m["peerURLs"] as JsonArray)?.FirstOrDefault()?.GetValue<string>() ?? string.Empty))];
    }
}
