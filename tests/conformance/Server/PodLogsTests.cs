using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// <c>kubectl logs</c> (1.33 and 1.27) for pods on an agent and on a server. The agent's kubelet API listens only on
/// 127.0.0.1 at a port of its own, while its Node says InternalIP 127.x.y.11: the API server cannot dial it directly,
/// so every answer for the agent's pods came through the agent's <c>/v1-k3s/connect</c> tunnel. The server's own
/// pods are read directly. Also: <c>--tail</c>, <c>--timestamps</c>, <c>-f</c> seeing a line written later,
/// <c>--previous</c> after a restart, kube-apiserver's container-choice message, and the kubelet API's 401/403/404.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class PodLogsTests : IAsyncLifetime
{
    private readonly LoopbackCluster _cluster = new("k3slab-logs-");
    // Ports the kernel handed out just now, not random ones: a random port in the ephemeral range can be taken by
    // any outgoing connection on this busy host, and a kubelet API that cannot bind leaves kubectl logs refused.
    private readonly int _kubeletPort = FreePorts.Next();
    private readonly int _loadBalancerPort = FreePorts.Next();

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task KubectlLogs_PodsOnAnAgentAndAServer_ThroughTheTunnelAndDirectly()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 1, runsKubelet: true);
        server.Start("--cluster-init");
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);
        var agent = _cluster.Agent("a1", 11, _loadBalancerPort);
        var token = server.AgentToken;
        agent.Start(server.Url, token, "--kubelet-arg", "address=127.0.0.1", "--kubelet-arg", $"port={_kubeletPort}");
        await Eventually.TrueAsync(() => server.Log.Contains("Tunnel connected for node a1", StringComparison.Ordinal), TimeSpan.FromSeconds(120), $"a1 connects its tunnel\n{agent.Log}\n{server.Log}", ct);
        await server.WaitNodesReadyAsync(["s1", "a1"], TimeSpan.FromSeconds(120), ct);

        // The Node's address is not where a1's kubelet listens: only the tunnel reaches it.
        var refused = async () =>
        {
            using var probe = new TcpClient();
            await probe.ConnectAsync(agent.Address, _kubeletPort, ct);
        };
        await refused.Should().ThrowAsync<SocketException>("a1's kubelet listens on 127.0.0.1 only");

        var trigger = Path.Combine(_cluster.Root.FullName, "go");
        await server.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: talker, namespace: default}
            spec:
              nodeName: a1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'echo hello; echo world; while [ ! -f {{trigger}} ]; do sleep 0.1; done; echo later; exec sleep 3600']}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: local, namespace: default}
            spec:
              nodeName: s1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'echo on the server; exec sleep 3600']}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: crasher, namespace: default}
            spec:
              nodeName: a1
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'echo run at $(date +%s%N); exit 1']}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: two, namespace: default}
            spec:
              nodeName: a1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: a, image: busybox, command: [sh, -c, 'echo from a; exec sleep 3600']}
              - {name: b, image: busybox, command: [sh, -c, 'echo from b; exec sleep 3600']}
            """, ct);

        foreach (var version in Kubectl.SupportedVersions)
        {
            var logs = await Eventually.UntilAsync(() => server.KubectlAsync(version, ct, "logs", "talker"), r => r.ExitCode == 0 && r.Stdout == "hello\nworld\n", TimeSpan.FromSeconds(60), ct);
            logs.Stdout.Should().Be("hello\nworld\n", $"kubectl {version} logs reads the agent's pod through the tunnel: {logs.Stderr}\n{server.Log}\n{agent.Log}");
        }

        (await server.KubectlAsync("1.33", ct, "logs", "talker", "--tail=1")).Stdout.Should().Be("world\n");
        (await server.KubectlAsync("1.27", ct, "logs", "talker", "--tail", "1")).Stdout.Should().Be("world\n");
        var stamped = (await server.KubectlAsync("1.33", ct, "logs", "talker", "--timestamps")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        stamped.Should().HaveCount(2);
        DateTimeOffset.TryParse(stamped[0].Split(' ')[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _).Should().BeTrue(stamped[0]);
        stamped[0].Should().EndWith(" hello");

        // Follow: the stream stays open and shows a line the container writes later.
        await using (var follow = FollowingKubectl.Start(server.Kubeconfig, "--server", server.Url, "logs", "-f", "talker"))
        {
            await Eventually.TrueAsync(() => follow.Output.Contains("world\n", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"kubectl logs -f shows what is there: {follow.Output} {follow.Errors}", ct);
            await File.WriteAllTextAsync(trigger, "go", ct);
            await Eventually.TrueAsync(() => follow.Output.Contains("later\n", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"kubectl logs -f streams the later line: {follow.Output} {follow.Errors}\n{server.Log}", ct);
            follow.HasExited.Should().BeFalse("following goes on while the container runs");
        }

        // The server's own pod is read directly.
        var local = await Eventually.UntilAsync(() => server.KubectlAsync("1.33", ct, "logs", "local"), r => r.Stdout == "on the server\n", TimeSpan.FromSeconds(60), ct);
        local.Stdout.Should().Be("on the server\n", local.Stderr);

        // --previous after a restart.
        var previous = await Eventually.UntilAsync(() => server.KubectlAsync("1.33", ct, "logs", "crasher", "--previous"), r => r.ExitCode == 0 && r.Stdout.StartsWith("run at ", StringComparison.Ordinal), TimeSpan.FromSeconds(60), ct);
        previous.Stdout.Should().StartWith("run at ", $"the previous run's log: {previous.Stderr}");
        (await server.KubectlAsync("1.33", ct, "logs", "local", "--previous")).Stderr.Should().Contain("previous terminated container \"app\" in pod \"local\" not found");

        // kube-apiserver's container choice, asked without kubectl's own client-side check.
        var raw = await server.KubectlAsync("1.33", ct, "get", "--raw", "/api/v1/namespaces/default/pods/two/log");
        raw.Stderr.Should().Contain("a container name must be specified for pod two, choose one of: [a b]");
        (await server.KubectlAsync("1.33", ct, "logs", "two", "-c", "b")).Stdout.Should().Be("from b\n");

        // Only kubelet certificates may open a tunnel: no credentials is k3s's 401, the join token's 403.
        var password = token[(token.LastIndexOf(':') + 1)..];
        (await SupervisorGetAsync(server, null, ct)).Should().Be((401, "not authorized"));
        (await SupervisorGetAsync(server, "node:" + password, ct)).Should().Be((403, "forbidden"));

        // The kubelet API lets in the API server's certificate only.
        using var apiServer = X509Certificate2.CreateFromPemFile(Path.Combine(server.DataDir, "server", "tls", "client-kube-apiserver.crt"), Path.Combine(server.DataDir, "server", "tls", "client-kube-apiserver.key"));
        using var node = X509Certificate2.CreateFromPemFile(Path.Combine(agent.DataDir, "agent", "client-kubelet.crt"), Path.Combine(agent.DataDir, "agent", "client-kubelet.key"));
        var kubelet = $"https://127.0.0.1:{_kubeletPort}";
        (await KubeletGetAsync(null, $"{kubelet}/healthz", ct)).Should().Be((401, "Unauthorized"));
        (await KubeletGetAsync(node, $"{kubelet}/containerLogs/default/talker/app", ct)).Should().Be((403, "Forbidden (user=system:node:a1, verb=get, resource=nodes, subresource=proxy)\n"));
        (await KubeletGetAsync(apiServer, $"{kubelet}/healthz", ct)).Should().Be((200, "ok"));
        (await KubeletGetAsync(apiServer, $"{kubelet}/containerLogs/default/talker/nope", ct)).Should().Be((404, "container \"nope\" not found in pod \"talker\""));
        (await KubeletGetAsync(apiServer, $"{kubelet}/containerLogs/default/ghost/app", ct)).Should().Be((404, "pod \"ghost\" does not exist"));
        (await KubeletGetAsync(apiServer, $"{kubelet}/containerLogs/default/talker/app?tailLines=1", ct)).Should().Be((200, "later\n"));
    }

    private static async Task<(int, string)> SupervisorGetAsync(ServerNode server, string? basic, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{server.Url}/v1-k3s/connect");
        if (basic is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        }

        using var response = await client.SendAsync(request, ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static async Task<(int, string)> KubeletGetAsync(X509Certificate2? certificate, string url, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null)];
        }

        using var client = new HttpClient(handler);
        using var response = await client.GetAsync(url, ct);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>A long-running <c>kubectl</c> whose output is collected as it comes; disposing kills it.</summary>
    private sealed class FollowingKubectl : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _errors = new();
        private readonly Task _reading;

        private FollowingKubectl(Process process)
        {
            _process = process;
            _reading = ReadAsync();
            _process.ErrorDataReceived += (_, e) =>
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            };
            _process.BeginErrorReadLine();
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public string Errors
        {
            get
            {
                lock (_errors)
                {
                    return _errors.ToString();
                }
            }
        }

        public bool HasExited => _process.HasExited;

        public static FollowingKubectl Start(string kubeconfig, params string[] args)
        {
            var start = new ProcessStartInfo(Kubectl.PathFor("1.33")) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add($"--kubeconfig={kubeconfig}");
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            return new FollowingKubectl(Process.Start(start)!);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            await _reading;
            _process.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new char[4096];
            int n;
            while ((n = await _process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_output)
                {
                    _output.Append(buffer, 0, n);
                }
            }
        }
    }
}
