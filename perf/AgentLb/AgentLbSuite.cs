using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using K3sLab.Lab;

namespace K3sLab.Perf.AgentLb;

/// <summary>
/// The agent load balancer's failover, measured end to end on real processes: three <c>k3s server --cluster-init</c>
/// servers and one <c>k3s agent</c>, each on its own loopback address. Each trial kills the server the agent's
/// balancer is using, then times (a) requests through the balancer, each on a new connection, until the API answers
/// again and (b) the agent's next node-Lease renewal; then the server is started again and the next trial waits
/// until the balancer has taken it back. Writes <c>agentlb.md</c> and <c>agentlb.json</c>; exit 1 when a trial does
/// not recover within 30 s.
/// </summary>
internal static class AgentLbSuite
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Issue 7's bound on the API's return through the agent's balancer; a slower trial leaves its logs.</summary>
    private static readonly TimeSpan Goal = TimeSpan.FromSeconds(1);

    private const string LocalSetup = "Three `k3s server --cluster-init` servers (`--disable-agent`) and one `k3s agent`, each on its own loopback address.";

    public static async Task<int> RunAsync(string outputDirectory, int trials, CancellationToken ct)
    {
        var k3s = LabPaths.RuntimeExecutable;
        if (!File.Exists(k3s))
        {
            await Console.Error.WriteLineAsync($"error: {k3s} does not exist: run ./k3slab build first.");
            return 1;
        }

        var root = Directory.CreateTempSubdirectory("k3slab-agentlb-");
        byte[] net = [127, (byte)Random.Shared.Next(10, 250), (byte)Random.Shared.Next(0, 255)];
        var lbPort = Random.Shared.Next(20000, 40000);
        var servers = new List<NodeUnderTest>();
        NodeUnderTest? agent = null;
        try
        {
            var first = Server(k3s, root, net, 1, ["--cluster-init"]);
            servers.Add(first);
            first.Start();
            await WaitListeningAsync(first, ct);
            var tokenFile = Path.Combine(root.FullName, "s1", "server", "token");
            var token = (await File.ReadAllTextAsync(tokenFile, ct)).Trim();
            var firstUrl = $"https://{first.Address}:6443";
            for (byte i = 2; i <= 3; i++)
            {
                var joining = Server(k3s, root, net, i, ["--server", firstUrl, "--token", token]);
                servers.Add(joining);
                joining.Start();
            }

            var tls = Path.Combine(root.FullName, "s1", "server", "tls");
            using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(tls, "server-ca.crt"));
            using var admin = LoadPair(tls, "client-admin");
            agent = new NodeUnderTest(
                "a1",
                new IPAddress([.. net, 11]),
                k3s,
                ["agent", "--server", firstUrl, "--token", token, "--data-dir", Path.Combine(root.FullName, "a1"), "--node-name", "a1", "--node-ip", $"{net[0]}.{net[1]}.{net[2]}.11", "--lb-server-port", lbPort.ToString(CultureInfo.InvariantCulture)],
                new Dictionary<string, string> { ["K3SLAB_NODE_PASSWORD_FILE"] = Path.Combine(root.FullName, "a1-password") });
            agent.Start();

            var lb = new Uri($"https://127.0.0.1:{lbPort}");
            var throughBalancer = new ApiProbe(lb, admin, ca);
            await BalancerLog.WaitUntilAsync(async () => servers.All(s => s.IsRunning) && await throughBalancer.GetAsync("/api/v1/nodes/a1", ProbeTimeout, ct) == HttpStatusCode.OK && BalancerLog.AllListed(agent.Log, servers.Select(s => s.Address)), StartDeadline, () => $"the agent did not register through its load balancer with all three servers listed\n{agent.Log}", ct);
            Progress($"3 servers and agent a1 up; load balancer on {lb}");

            var results = new List<AgentLbTrial>();
            for (var trial = 1; trial <= trials; trial++)
            {
                var active = BalancerLog.ActiveServer(agent.Log) is { } address ? servers.Single(s => $"{s.Address}:6443" == address) : throw new InvalidOperationException($"the agent's load balancer has no ACTIVE server\n{agent.Log}");
                var wasLeader = await IsLeaderAsync(active, root, ct);
                var marks = servers.Select(s => s.Log.Length).Append(agent.Log.Length).ToArray();
                var result = await FailoverTrialRun.RunAsync(trial, active.Name, wasLeader, active.KillAsync, throughBalancer, "a1", ct);
                results.Add(result);
                if (result.RecoverySeconds > Goal.TotalSeconds)
                {
                    await WriteSlowTrialAsync(outputDirectory, result, [.. servers, agent], marks, ct);
                }

                Progress($"trial {trial}: killed {result.Killed}{(result.KilledWasLeader ? " (datastore leader)" : string.Empty)}: API through the agent's balancer after {result.RecoverySeconds * 1000:0} ms ({result.FailedProbes} failed requests), lease renewed after {result.LeaseRenewedSeconds:0.0} s");

                var mark = agent.Log.Length;
                active.Start();
                await BalancerLog.WaitUntilAsync(
                    () => Task.FromResult(BalancerLog.TookBack(agent.Log[mark..], active.Address) && BalancerLog.AllListed(agent.Log, servers.Select(s => s.Address))),
                    StartDeadline,
                    () => $"the balancer did not take {active.Name} back after it restarted\n{agent.Log[mark..]}\n{active.Log}",
                    ct);
                await BalancerLog.WaitUntilAsync(async () => await new ApiProbe(new Uri($"https://{active.Address}:6443"), admin, ca).GetAsync("/readyz", ProbeTimeout, ct) == HttpStatusCode.OK, StartDeadline, () => $"{active.Name} is not ready after its restart\n{active.Log}", ct);
            }

            await AgentLbReport.WriteAsync(outputDirectory, "agentlb", k3s, LocalSetup, results, ct);
            return results.All(r => r.RecoverySeconds <= FailoverTrialRun.RecoveryDeadline.TotalSeconds) ? 0 : 1;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
        finally
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }

            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }

            root.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A trial over the goal leaves what every process logged from the kill on in <c>agentlb-trial-N.log</c>, so a
    /// slow failover can be explained (which member noticed the leader's death, when the election ended, what the
    /// balancer did) rather than only counted.
    /// </summary>
    private static async Task WriteSlowTrialAsync(string outputDirectory, AgentLbTrial result, IReadOnlyList<NodeUnderTest> nodes, int[] marks, CancellationToken ct)
    {
        var text = new System.Text.StringBuilder(string.Create(CultureInfo.InvariantCulture, $"trial {result.Trial}: killed {result.Killed} (datastore leader: {result.KilledWasLeader}); API back after {result.RecoverySeconds * 1000:0} ms, {result.FailedProbes} failed requests\n"));
        for (var i = 0; i < nodes.Count; i++)
        {
            var log = nodes[i].Log;
            text.Append("\n== ").Append(nodes[i].Name).Append(" ==\n").Append(log.AsSpan(Math.Min(marks[i], log.Length)));
        }

        Directory.CreateDirectory(outputDirectory);
        var path = Path.Combine(outputDirectory, string.Create(CultureInfo.InvariantCulture, $"agentlb-trial-{result.Trial}.log"));
        await File.WriteAllTextAsync(path, text.ToString(), ct);
        Progress($"trial {result.Trial} took over {Goal.TotalMilliseconds:0} ms: every process's log since the kill is in {path}");
    }

    /// <summary>Whether the member on <paramref name="server"/> leads the datastore, from etcdctl's endpoint status.</summary>
    private static async Task<bool> IsLeaderAsync(NodeUnderTest server, DirectoryInfo root, CancellationToken ct)
    {
        var etcdTls = Path.Combine(root.FullName, "s1", "server", "tls", "etcd");
        var start = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ETCDCTL_API"] = "3";
        foreach (var argument in new[] { $"--endpoints=https://{server.Address}:2379", $"--cacert={etcdTls}/server-ca.crt", $"--cert={etcdTls}/server-client.crt", $"--key={etcdTls}/server-client.key", "endpoint", "status", "-w", "json" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var header = (JsonNode.Parse(output) as JsonArray)?.FirstOrDefault()?["Status"];
        return header?["header"]?["member_id"]?.GetValue<ulong>() is { } id && header["leader"]?.GetValue<ulong>() == id;
    }

    private static NodeUnderTest Server(string k3s, DirectoryInfo root, byte[] net, byte host, string[] flags)
    {
        var address = new IPAddress([.. net, host]);
        var name = $"s{host}";
        return new NodeUnderTest(
            name,
            address,
            k3s,
            ["server", "--disable-agent", "--disable-kube-proxy", "--disable=coredns", "--data-dir", Path.Combine(root.FullName, name), "--node-name", name, "--node-ip", address.ToString(), "--bind-address", address.ToString(), "--write-kubeconfig", Path.Combine(root.FullName, name + ".yaml"), .. flags]);
    }

    private static X509Certificate2 LoadPair(string directory, string name)
    {
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(directory, name + ".crt"), Path.Combine(directory, name + ".key"));
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }

    private static async Task WaitListeningAsync(NodeUnderTest server, CancellationToken ct) =>
        await BalancerLog.WaitUntilAsync(
            async () =>
            {
                using var client = new TcpClient();
                try
                {
                    await client.ConnectAsync(server.Address, 6443, ct);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            },
            StartDeadline,
            () => $"{server.Name} is not listening\n{server.Log}",
            ct);

    private static void Progress(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
