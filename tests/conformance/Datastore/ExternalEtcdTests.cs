using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using K3sLab.ConformanceTests.Server;
using K3sLab.Tests.Support;

namespace K3sLab.ConformanceTests.Datastore;

/// <summary>
/// <c>k3s server --datastore-endpoint http(s)://...</c> against a real 3-member etcd 3.4 cluster on loopback: the API
/// works unchanged for kubectl and its data is etcd's; TLS with a CA and a client certificate works and a wrong CA
/// stops startup with a message naming the endpoint; one member killed under a write loop loses no acknowledged
/// write; quorum lost makes <c>/readyz</c> fail and writes fail fast with 5xx, and quorum regained heals both without
/// restarting k3s; an unreachable endpoint fails startup within its bounded wait.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ExternalEtcdTests
{
    private const string Kubectl133 = "1.33";

    [Fact]
    public async Task Server_OnThreeMemberEtcd_ServesKubectlAndKeepsItsDataInEtcd()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var etcd = await EtcdCluster.StartAsync(3, tls: false, ct);
        await using var server = K3sServerProcess.With("--datastore-endpoint", etcd.ClientUrls);
        await server.InitializeAsync();

        (await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, ct, "create", "namespace", "ext")).ExitCode.Should().Be(0);
        (await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, ct, "create", "configmap", "seed", "-n", "ext", "--from-literal=k=v")).ExitCode.Should().Be(0);
        using var watch = KubectlWatch.Start(server.Kubeconfig, "get", "configmaps", "-n", "ext", "--watch", "--output-watch-events");
        await Eventually.TrueAsync(() => watch.Events.Contains(("ADDED", "seed")), TimeSpan.FromSeconds(20), "the watch lists the seed", ct);

        (await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, ct, "create", "configmap", "c1", "-n", "ext", "--from-literal=a=b")).ExitCode.Should().Be(0);
        var got = await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, ct, "get", "configmap", "c1", "-n", "ext", "-o", "jsonpath={.data.a}");
        got.Stdout.Should().Be("b");
        var stored = await etcd.EtcdctlAsync(2, ct, "get", "--prefix", "/registry/configmaps/ext/", "--keys-only");
        stored.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal("/registry/configmaps/ext/c1", "/registry/configmaps/ext/seed");
        var value = await etcd.EtcdctlAsync(1, ct, "get", "/registry/configmaps/ext/c1", "--print-value-only");
        value.Stdout.Should().Contain("\"a\":\"b\"");

        (await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, ct, "delete", "configmap", "c1", "-n", "ext")).ExitCode.Should().Be(0);
        await Eventually.TrueAsync(() => watch.Events.Count(e => e.Name == "c1") >= 2, TimeSpan.FromSeconds(20), "the watch sees c1 added and deleted", ct);
        watch.Events.Where(e => e.Name == "c1").Select(e => e.Type).Should().Equal("ADDED", "DELETED");

        (await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, ct, "delete", "namespace", "ext")).ExitCode.Should().Be(0);
        var gone = await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, ct, "get", "namespace", "ext");
        gone.Stderr.Should().Contain("NotFound");
        (await etcd.EtcdctlAsync(0, ct, "get", "--prefix", "/registry/configmaps/ext/", "--keys-only")).Stdout.Should().BeEmpty("deleting the namespace deleted its objects in etcd");
    }

    [Fact]
    public async Task Server_WithCaAndClientCertificate_ServesAndAWrongCaStopsStartupNamingTheEndpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var etcd = await EtcdCluster.StartAsync(3, tls: true, ct);
        var pki = Path.Combine(etcd.Root.FullName, "pki");
        await using (var server = K3sServerProcess.With(
            "--datastore-endpoint", etcd.ClientUrls,
            "--datastore-cafile", Path.Combine(pki, "ca.crt"),
            "--datastore-certfile", Path.Combine(pki, "client.crt"),
            "--datastore-keyfile", Path.Combine(pki, "client.key")))
        {
            await server.InitializeAsync();
            (await Kubectl.RunAsync(Kubectl133, server.Kubeconfig, ct, "create", "configmap", "over-tls")).ExitCode.Should().Be(0);
            (await etcd.EtcdctlAsync(0, ct, "get", "/registry/configmaps/default/over-tls", "--keys-only")).Stdout.Should().Contain("over-tls");
        }

        await new PublishedRuntime().InitializeAsync();
        var wrongCa = await RunServerToExitAsync(ct, "--datastore-endpoint", etcd.ClientUrl(0), "--datastore-cafile", Path.Combine(pki, "other-ca.crt"), "--datastore-certfile", Path.Combine(pki, "client.crt"), "--datastore-keyfile", Path.Combine(pki, "client.key"));
        wrongCa.Result.ExitCode.Should().NotBe(0);
        wrongCa.Result.Stderr.Should().Contain(etcd.ClientUrl(0)).And.Contain("not signed by the --datastore-cafile CA");
        wrongCa.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "a certificate that does not verify will not verify later either");

        var noClientCert = await RunServerToExitAsync(ct, "--datastore-endpoint", etcd.ClientUrl(1), "--datastore-cafile", Path.Combine(pki, "ca.crt"));
        noClientCert.Result.ExitCode.Should().NotBe(0);
        noClientCert.Result.Stderr.Should().Contain(etcd.ClientUrl(1)).And.Contain("requires a client certificate");
    }

    [Fact]
    public async Task Server_MembersKilledUnderWrites_KeepsAcknowledgedWritesAndHealsWithQuorum()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var etcd = await EtcdCluster.StartAsync(3, tls: false, ct);
        await using var server = K3sServerProcess.With("--datastore-endpoint", etcd.ClientUrls);
        await server.InitializeAsync();
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Kubeconfig);
        config.HttpClientTimeout = TimeSpan.FromSeconds(30);
        using var client = new Kubernetes(config);
        using var insecure = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator });

        var acknowledged = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<string>();
        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stopWriting.IsCancellationRequested; i++)
            {
                var name = $"w-{i}";
                try
                {
                    await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "default", cancellationToken: stopWriting.Token);
                    acknowledged.Add(name);
                }
                catch (HttpOperationException e)
                {
                    failures.Add($"{name}: {(int)e.Response.StatusCode} {e.Response.Content}");
                }
                catch (OperationCanceledException) when (stopWriting.IsCancellationRequested)
                {
                    // The test stopped the loop; this write's outcome is unknown and it was never acknowledged.
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    failures.Add($"{name}: {e.GetType().Name} {e.Message}");
                }
            }
        }, CancellationToken.None);

        try
        {
            await Eventually.TrueAsync(() => acknowledged.Count >= 20, TimeSpan.FromSeconds(30), "writes succeed on the healthy cluster", ct);

            // The first endpoint is the one the server prefers: losing it forces a fail-over.
            etcd.Kill(0);
            var atKill = acknowledged.Count;
            await Eventually.TrueAsync(() => acknowledged.Count >= atKill + 30, TimeSpan.FromSeconds(20), $"writes keep succeeding on two of three members (failures: {string.Join("; ", failures.Take(5))})", ct);
            (await ReadyzAsync(insecure, server, ct)).Should().Be(HttpStatusCode.OK);

            var lostQuorum = Stopwatch.StartNew();
            etcd.Kill(1);
            var notReady = await Eventually.UntilAsync(() => ReadyzAsync(insecure, server, ct), s => s != HttpStatusCode.OK, TimeSpan.FromSeconds(15), ct);
            var notReadyAfter = lostQuorum.Elapsed;
            notReady.Should().NotBe(HttpStatusCode.OK, "/readyz fails within 15 s of losing quorum");
            await stopWriting.CancelAsync();
            await writer;

            var attempt = Stopwatch.StartNew();
            var refused = async () => await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "without-quorum" } }, "default", cancellationToken: ct);
            var failed = (await refused.Should().ThrowAsync<HttpOperationException>()).Which;
            ((int)failed.Response.StatusCode).Should().BeGreaterThanOrEqualTo(500, failed.Response.Content);
            attempt.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15), "a write without quorum fails within the client's per-call timeout, it does not hang");

            etcd.Restart(1);
            await etcd.WaitHealthyAsync(1, TimeSpan.FromSeconds(30), ct);
            (await Eventually.UntilAsync(() => ReadyzAsync(insecure, server, ct), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30), ct)).Should().Be(HttpStatusCode.OK, "/readyz recovers with quorum");
            var healed = await Eventually.UntilAsync(
                async () =>
                {
                    try
                    {
                        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "after-quorum" } }, "default", cancellationToken: ct);
                        return true;
                    }
                    catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                    {
                        return true;
                    }
                    catch (HttpOperationException)
                    {
                        return false;
                    }
                },
                ok => ok,
                TimeSpan.FromSeconds(30),
                ct);
            healed.Should().BeTrue("writes succeed again once quorum returns, without restarting k3s");

            var names = (await client.CoreV1.ListNamespacedConfigMapAsync("default", cancellationToken: ct)).Items.Select(c => c.Metadata.Name).ToHashSet();
            names.Should().Contain(acknowledged, "no acknowledged write may be lost");
            names.Should().Contain("after-quorum");
            TestContext.Current.SendDiagnosticMessage($"acknowledged {acknowledged.Count} writes, {failures.Count} failed during fail-over; /readyz failed {notReadyAfter.TotalSeconds:0.0} s after quorum loss; a write without quorum failed in {attempt.Elapsed.TotalSeconds:0.0} s with {(int)failed.Response.StatusCode}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{e.Message}\n--- k3s\n{server.Log}\n{etcd.Logs[..Math.Min(etcd.Logs.Length, 20_000)]}", e);
        }
        finally
        {
            await stopWriting.CancelAsync();
            await writer;
        }
    }

    [Fact]
    public async Task Server_UnreachableEndpoint_FailsStartupWithinItsBoundedWaitNamingIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await new PublishedRuntime().InitializeAsync();

        var unreachable = await RunServerToExitAsync(ct, "--datastore-endpoint", "http://127.0.0.1:1");

        unreachable.Result.ExitCode.Should().NotBe(0);
        unreachable.Result.Stderr.Should().Contain("http://127.0.0.1:1").And.Contain("did not answer within 30 s").And.Contain("unreachable");
        unreachable.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(45));

        var withPassword = await RunServerToExitAsync(ct, "--datastore-endpoint", "https://root:s3cret@127.0.0.1:1");
        withPassword.Result.ExitCode.Should().NotBe(0);
        withPassword.Result.Stderr.Should().Contain("https://root:***@127.0.0.1:1").And.NotContain("s3cret");
    }

    private static async Task<(K3sCommand.Result Result, TimeSpan Elapsed)> RunServerToExitAsync(CancellationToken ct, params string[] args)
    {
        var root = Directory.CreateTempSubdirectory("k3slab-extetcd-");
        try
        {
            var clock = Stopwatch.StartNew();
            var result = await K3sCommand.RunAsync(
                TimeSpan.FromSeconds(60),
                ct,
                ["server", "--disable-agent", "--disable-scheduler", "--disable-controller-manager", "--data-dir", Path.Combine(root.FullName, "data"), "--bind-address", "127.0.0.1", "--https-listen-port", K3sLab.Lab.Host.Loopback.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--write-kubeconfig", Path.Combine(root.FullName, "k3s.yaml"), .. args]);
            return (result, clock.Elapsed);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task<HttpStatusCode> ReadyzAsync(HttpClient http, K3sServerProcess server, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var response = await http.GetAsync($"{server.Url}/readyz", timeout.Token);
            return response.StatusCode;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HttpStatusCode.GatewayTimeout;
        }
    }

    /// <summary>A <c>kubectl get --watch</c> running in the background, its output collected line by line.</summary>
    private sealed class KubectlWatch : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        private KubectlWatch(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    _lines.Enqueue(e.Data);
                }
            };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        /// <summary>The (event, name) pairs of <c>--output-watch-events</c> table rows.</summary>
        public IReadOnlyList<(string Type, string Name)> Events =>
            [.. _lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 2 && f[0] != "EVENT").Select(f => (f[0], f[1]))];

        public static KubectlWatch Start(string kubeconfig, params string[] args)
        {
            var start = new ProcessStartInfo(Kubectl.PathFor(Kubectl133)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("--kubeconfig");
            start.ArgumentList.Add(kubeconfig);
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            return new KubectlWatch(Process.Start(start)!);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }
    }
}
