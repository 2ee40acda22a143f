using System.Diagnostics;
using System.Text;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Server;

/// <summary>
/// <c>kubectl exec</c>, <c>attach</c> and <c>port-forward</c> with kubectl 1.27 (SPDY/3.1 only) and 1.33 (WebSocket
/// v5 for exec and attach, SPDY tunnelled in a WebSocket for port-forward), against pods on an agent and on a server.
/// As in <see cref="PodLogsTests"/>, the agent's kubelet API listens only on 127.0.0.1 at a port of its own while its
/// Node says InternalIP 127.x.y.11, so everything for the agent's pods came through its <c>/v1-k3s/connect</c>
/// tunnel; the server's own pods are reached directly.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class PodStreamingTests : IAsyncLifetime
{
    private readonly LoopbackCluster _cluster = new("k3slab-exec-");
    private readonly int _kubeletPort = FreePorts.Next();
    private readonly int _loadBalancerPort = FreePorts.Next();
    private readonly int _webPort = FreePorts.Next();

    public async ValueTask InitializeAsync() => await new PublishedRuntime().InitializeAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task KubectlExecAttachPortForward_PodsOnAnAgentAndAServer_WorkWith127And133()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = _cluster.Server("s1", 1, runsKubelet: true);
        server.Start("--cluster-init");
        await server.WaitListeningAsync(TimeSpan.FromSeconds(60), ct);
        var agent = _cluster.Agent("a1", 11, _loadBalancerPort);
        var token = server.AgentToken;
        agent.Start(server.Url, token, "--kubelet-arg", "address=127.0.0.1", "--kubelet-arg", $"port={_kubeletPort}");
        await Eventually.TrueAsync(() => server.Log.Contains("Tunnel connected for node a1", StringComparison.Ordinal), TimeSpan.FromSeconds(120), $"a1 connects its tunnel\n{agent.Log}\n{server.Log}", ct);

        var site = Directory.CreateDirectory(Path.Combine(_cluster.Root.FullName, "site"));
        await File.WriteAllTextAsync(Path.Combine(site.FullName, "index.html"), "hello through port-forward\n", ct);
        await server.ApplyAsync($$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: shell, namespace: default}
            spec:
              nodeName: a1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'exec sleep 3600'], workingDir: /tmp, env: [{name: GREETING, value: hello-agent}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: local, namespace: default}
            spec:
              nodeName: s1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'exec sleep 3600'], env: [{name: GREETING, value: hello-server}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: default}
            spec:
              nodeName: a1
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: [python3, -m, http.server, "{{_webPort}}", --bind, 0.0.0.0]
                workingDir: {{site.FullName}}
                readinessProbe: {httpGet: {path: /, port: {{_webPort}}}, periodSeconds: 1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: ticker, namespace: default}
            spec:
              nodeName: a1
              terminationGracePeriodSeconds: 1
              containers:
              - {name: app, image: busybox, command: [sh, -c, 'i=0; while true; do i=$((i+1)); echo tick $i; echo tock $i >&2; sleep 0.2; done']}
            """, ct);
        await WaitReadyAsync(server, ["shell", "local", "web", "ticker"], ct);

        foreach (var version in Kubectl.SupportedVersions)
        {
            // Output on both streams and the exit code, through the tunnel.
            var exec = await KubectlAsync(server, version, null, ct, "exec", "shell", "--", "sh", "-c", "echo hi $GREETING $PWD; echo err >&2; exit 3");
            exec.ExitCode.Should().Be(3, $"kubectl {version} exits with the command's code: {exec.Stderr}\n{server.Log}\n{agent.Log}");
            exec.Stdout.Should().Be("hi hello-agent /tmp\n");
            exec.Stderr.Should().StartWith("err\n").And.Contain("command terminated with exit code 3");

            // stdin piped in and closed: cat ends and exits 0.
            var cat = await KubectlAsync(server, version, "line one\nline two\n", ct, "exec", "-i", "shell", "--", "cat");
            cat.ExitCode.Should().Be(0, $"kubectl {version} exec -i: {cat.Stderr}");
            cat.Stdout.Should().Be("line one\nline two\n");

            // The server's own kubelet, reached directly.
            var local = await KubectlAsync(server, version, null, ct, "exec", "local", "--", "sh", "-c", "echo $GREETING");
            local.Should().Be(new KubectlResult(0, "hello-server\n", string.Empty), $"kubectl {version} exec on the server's pod");

            // A terminal: kubectl needs one itself, so script(1) gives it a pty of 30 rows and 100 columns.
            var tty = await ScriptAsync(server, version, "stty cols 100 rows 30; {kubectl} exec -ti shell -- sh -c 'tty; stty size'", null, ct);
            tty.Output.Should().Contain("/dev/pts/").And.Contain("30 100", $"kubectl {version} exec -t gets a terminal of the client's size");

            // An interactive shell on that terminal: typed lines run, and its exit code comes back.
            var shell = await ScriptAsync(server, version, "{kubectl} exec -ti shell -- sh", "echo typed$((40+2))\nexit 7\n", ct);
            shell.Output.Should().Contain("typed42", $"kubectl {version} exec -ti runs what is typed (the agent's exec log: {ExecLines(agent.Log)})");
            shell.ExitCode.Should().Be(7, shell.Output);

            // attach shows what the container writes from now on, on the stream it wrote it to.
            await using (var attach = LongKubectl.Start(server, version, "attach", "ticker"))
            {
                await Eventually.TrueAsync(() => attach.Output.Contains("tick", StringComparison.Ordinal) && attach.Errors.Contains("tock", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"kubectl {version} attach streams stdout and stderr: {attach.Output} {attach.Errors}", ct);
            }

            // port-forward to an HTTP server in a pod on the agent.
            var localPort = FreePorts.Next();
            await using (var forward = LongKubectl.Start(server, version, "port-forward", "pod/web", $"{localPort}:{_webPort}"))
            {
                await Eventually.TrueAsync(() => forward.Output.Contains("Forwarding from 127.0.0.1", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"kubectl {version} port-forward listens: {forward.Output} {forward.Errors}", ct);
                // python's http.server answers HTTP/1.0 and closes each connection. Its close reaches this end a
                // moment after the response (kubelet, server and kubectl relay it as a frame of its own), and
                // HttpClient pooled the connection and reused it in that gap, which kubectl then reset: 10 resets in
                // 300 requests on an idle host, 17 in 600 even with "Connection: close" sent. A pool lifetime of zero
                // gives each request its own connection (0 in 600), which is what this test is about.
                using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(10) };
                for (var i = 0; i < 3; i++)
                {
                    string body;
                    try
                    {
                        body = await http.GetStringAsync($"http://127.0.0.1:{localPort}/", ct);
                    }
                    catch (HttpRequestException e)
                    {
                        // Keep what kubectl said, which the exception does not carry.
                        throw new InvalidOperationException($"request {i} through kubectl {version} port-forward failed ({e.Message}); kubectl's stderr: {forward.Errors}; stdout: {forward.Output}", e);
                    }

                    body.Should().Be("hello through port-forward\n", $"request {i} through kubectl {version} port-forward: {forward.Errors}");
                }

                await Eventually.TrueAsync(() => forward.Output.Split("Handling connection for").Length - 1 == 3, TimeSpan.FromSeconds(10), $"kubectl {version} port-forward handled three connections: {forward.Output}", ct);
                forward.HasExited.Should().BeFalse($"the forward stays up: {forward.Errors}");
            }
        }

        // RBAC: the verb follows the method, as in kube-apiserver 1.33: `create` for SPDY's POST, `get` for the
        // WebSocket's GET. A user who may only `get` pods/exec is refused by 1.27 and let in by 1.33's WebSocket.
        await server.ApplyAsync("""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: exec-get-only, namespace: default}
            rules:
            - {apiGroups: [""], resources: [pods, pods/exec], verbs: [get]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: exec-get-only, namespace: default}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec-get-only}
            subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: jane}]
            """, ct);

        // The server authorizes from a policy cache its watch fills; wait until the binding is in it.
        var granted = await Eventually.UntilAsync(() => KubectlAsync(server, "1.33", null, ct, "--as=jane", "auth", "can-i", "get", "pods/exec"), r => r.Stdout.Trim() == "yes", TimeSpan.FromSeconds(10), ct);
        granted.Stdout.Trim().Should().Be("yes", granted.Stderr);
        var refused = await KubectlAsync(server, "1.27", null, ct, "--as=jane", "exec", "shell", "--", "true");
        refused.ExitCode.Should().NotBe(0);
        refused.Stderr.Should().Contain("User \"jane\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"default\"");
        (await KubectlAsync(server, "1.33", null, ct, "--as=jane", "exec", "shell", "--", "true")).ExitCode.Should().Be(0, "the WebSocket upgrade is a GET, authorized as get on pods/exec");

        // A port nothing listens on: the kubelet's dial error comes back on the error stream and kubectl prints it.
        var unused = FreePorts.Next();
        var refusedPort = FreePorts.Next();
        await using (var forward = LongKubectl.Start(server, "1.27", "port-forward", "pod/web", $"{refusedPort}:{unused}"))
        {
            await Eventually.TrueAsync(() => forward.Output.Contains("Forwarding from 127.0.0.1", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"kubectl port-forward listens: {forward.Errors}", ct);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var get = () => http.GetStringAsync($"http://127.0.0.1:{refusedPort}/", ct);
            await get.Should().ThrowAsync<HttpRequestException>();
            await Eventually.TrueAsync(() => forward.Errors.Contains($"error forwarding port {unused} to pod web", StringComparison.Ordinal) && forward.Errors.Contains("connection refused", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"kubectl prints the kubelet's error: {forward.Errors}", ct);
        }

        // kube-apiserver's refusals, before anything reaches a kubelet.
        (await KubectlAsync(server, "1.33", null, ct, "exec", "shell", "-c", "nope", "--", "true")).Stderr.Should().Contain("container nope is not valid for pod shell");
        (await KubectlAsync(server, "1.27", null, ct, "exec", "ghost", "--", "true")).Stderr.Should().Contain("pods \"ghost\" not found");

        // A program that does not exist: the kubelet's InternalError on the error stream, kubectl exits 1.
        var missing = await KubectlAsync(server, "1.33", null, ct, "exec", "shell", "--", "no-such-program");
        missing.ExitCode.Should().Be(1);
        missing.Stderr.Should().Contain("Internal error occurred: error executing command in container: exec: \"no-such-program\": executable file not found in $PATH");

        // attach -i: containers here run with stdin closed, so the kubelet refuses stdin, in words kubectl prints.
        var stdin = await KubectlAsync(server, "1.27", null, ct, "attach", "-i", "ticker");
        stdin.ExitCode.Should().NotBe(0);
        stdin.Stderr.Should().Contain("unable to upgrade connection: container app in pod ticker was not started with stdin");

        // A long exec ends when its pod is deleted: the kubelet kills exec'd commands with the containers.
        int Execs() => agent.Log.Split('\n').Count(l => l.Contains("Exec in default/shell container app: pid", StringComparison.Ordinal));
        var before = Execs();
        await using (var sleeper = LongKubectl.Start(server, "1.33", "exec", "shell", "--", "sleep", "3600"))
        {
            await Eventually.TrueAsync(() => Execs() > before, TimeSpan.FromSeconds(30), $"the kubelet started the sleep\n{agent.Log}", ct);
            (await KubectlAsync(server, "1.33", null, ct, "delete", "pod", "shell", "--wait=false")).ExitCode.Should().Be(0);
            await Eventually.TrueAsync(() => sleeper.HasExited, TimeSpan.FromSeconds(30), $"kubectl exec ends with the pod: {sleeper.Output} {sleeper.Errors}", ct);
        }

        // Round trips of a trivial exec, kubectl's own start-up included (on this shared host, an upper bound).
        foreach (var version in Kubectl.SupportedVersions)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 5; i++)
            {
                (await KubectlAsync(server, version, null, ct, "exec", "ticker", "--", "true")).ExitCode.Should().Be(0);
            }

            TestContext.Current.TestOutputHelper?.WriteLine($"kubectl {version} exec through the tunnel: {watch.Elapsed.TotalMilliseconds / 5:0} ms per run");
        }
    }

    private static async Task<KubectlResult> KubectlAsync(ServerNode node, string version, string? input, CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo(Kubectl.PathFor(version)) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[$"--kubeconfig={node.Kubeconfig}", "--server", node.Url, "--request-timeout", "30s", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), ct);
        }

        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The agent's last exec lines (started, exited, whether its output was read to the end).</summary>
    private static string ExecLines(string log) =>
        string.Join('\n', log.Split('\n').Where(l => l.Contains("Exec in", StringComparison.Ordinal)).TakeLast(6));

    /// <summary>
    /// Runs a shell line under script(1), so kubectl has a terminal; <c>{kubectl}</c> stands for the kubectl command.
    /// <paramref name="typed"/> is typed into that terminal once the remote shell prompts.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> ScriptAsync(ServerNode node, string version, string line, string? typed, CancellationToken ct)
    {
        var kubectl = $"'{Kubectl.PathFor(version)}' --kubeconfig='{node.Kubeconfig}' --server {node.Url}";
        var start = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-qec", line.Replace("{kubectl}", kubectl, StringComparison.Ordinal), "/dev/null"])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var reading = Task.Run(
            async () =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = await process.StandardOutput.ReadAsync(buffer, ct)) > 0)
                {
                    lock (output)
                    {
                        output.Append(buffer, 0, n);
                    }
                }
            },
            ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        string Seen()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        if (typed is not null)
        {
            // The remote shell's prompt says kubectl is connected and the terminal is ready for input.
            await Eventually.TrueAsync(() => Seen().Contains("# ", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"the remote shell prompts: {Seen()}", ct);
            await process.StandardInput.WriteAsync(typed.AsMemory(), ct);
            await process.StandardInput.FlushAsync(ct);
        }

        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await reading;
        return (process.ExitCode, Seen() + await stderr);
    }

    private static async Task WaitReadyAsync(ServerNode server, string[] pods, CancellationToken ct)
    {
        var result = await Eventually.UntilAsync(
            () => KubectlAsync(server, "1.33", null, ct, "get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}"),
            r => r.ExitCode == 0 && pods.All(p => r.Stdout.Split('\n').Contains($"{p}=True")),
            TimeSpan.FromSeconds(120),
            ct);
        result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Contain(pods.Select(p => $"{p}=True"), $"every pod is Ready within 120 s\n{result.Stderr}\n{server.Log}");
    }

    /// <summary>A long-running kubectl whose output is collected as it comes; disposing kills it.</summary>
    private sealed class LongKubectl : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _errors = new();

        private LongKubectl(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
            _process.ErrorDataReceived += (_, e) => Append(_errors, e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output => Read(_output);

        public string Errors => Read(_errors);

        public bool HasExited => _process.HasExited;

        public static LongKubectl Start(ServerNode node, string version, params string[] args)
        {
            var start = new ProcessStartInfo(Kubectl.PathFor(version)) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])[$"--kubeconfig={node.Kubeconfig}", "--server", node.Url, .. args])
            {
                start.ArgumentList.Add(arg);
            }

            return new LongKubectl(Process.Start(start)!);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        private static void Append(StringBuilder into, string? line)
        {
            if (line is not null)
            {
                lock (into)
                {
                    into.Append(line).Append('\n');
                }
            }
        }

        private static string Read(StringBuilder from)
        {
            lock (from)
            {
                return from.ToString();
            }
        }
    }
}
